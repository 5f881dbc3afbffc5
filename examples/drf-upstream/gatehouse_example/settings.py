"""An unmodified-style DRF project that trusts gatehouse for who is calling.

The only auth code is configuration: Django's RemoteUserMiddleware + RemoteUserBackend and
DRF's RemoteUserAuthentication, pointed at the `Remote-User` header the gateway sets.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'drf-upstream-example-not-secret')
DEBUG = os.environ.get('DJANGO_DEBUG') == '1'
# gatehouse sends the host of its `upstreams` URL (the client's is in X-Forwarded-Host).
ALLOWED_HOSTS = os.environ.get('DJANGO_ALLOWED_HOSTS', 'drf-upstream,localhost,127.0.0.1').split(',')

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.messages',
    'django.contrib.contenttypes',
    'django.contrib.auth',
    'django.contrib.sessions',
    'rest_framework',
    # Only for its tokens: `drf_create_token` and `dumpdata authtoken.token`, to move them to
    # the gateway (docs/user-tokens.md). The app itself never reads Authorization: Token.
    'rest_framework.authtoken',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    # Must come after AuthenticationMiddleware.
    'gatehouse_example.remote_user.GatewayRemoteUserMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
]

# The admin's own forms keep Django's CSRF token; behind the gateway Django must judge the
# Origin against the host the browser used, which the gateway sends as X-Forwarded-Host.
USE_X_FORWARDED_HOST = True
SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')

TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'APP_DIRS': True,
    'OPTIONS': {'context_processors': [
        'django.template.context_processors.request',
        'django.contrib.auth.context_processors.auth',
        'django.contrib.messages.context_processors.messages',
    ]},
}]

AUTHENTICATION_BACKENDS = [
    # RemoteUserBackend (creates a Django user the first time the gateway names one), with
    # admin access following the provider's groups (Remote-Groups).
    'gatehouse_example.remote_user.GatewayStaffBackend',
]

REST_FRAMEWORK = {
    # Only the gateway's header: no SessionAuthentication, TokenAuthentication or JWT here.
    'DEFAULT_AUTHENTICATION_CLASSES': ['gatehouse_example.remote_user.GatewayRemoteUserAuthentication'],
    'DEFAULT_PERMISSION_CLASSES': ['rest_framework.permissions.IsAuthenticated'],
    'DEFAULT_RENDERER_CLASSES': ['rest_framework.renderers.JSONRenderer'],
}

ROOT_URLCONF = 'gatehouse_example.urls'
WSGI_APPLICATION = 'gatehouse_example.wsgi.application'

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.sqlite3',
        'NAME': os.environ.get('DRF_DB_PATH', str(BASE_DIR / 'db.sqlite3')),
    }
}
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

USE_TZ = True
TIME_ZONE = 'UTC'
