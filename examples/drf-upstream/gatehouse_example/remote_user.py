"""Django's and DRF's documented way to read the user from a proxy's HTTP header.

Both default to the `REMOTE_USER` CGI variable a web server module sets; a proxy sends an
HTTP header instead, which WSGI exposes as `HTTP_REMOTE_USER`. Safe only because gatehouse
is the only way in and strips `Remote-User` (and `Remote_User`, which WSGI folds into the
same key) from every client request before setting its own.
"""
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from rest_framework.authentication import RemoteUserAuthentication

HEADER = 'HTTP_REMOTE_USER'
ADMIN_GROUP = 'admin'


class GatewayRemoteUserMiddleware(RemoteUserMiddleware):
    header = HEADER


class GatewayRemoteUserAuthentication(RemoteUserAuthentication):
    header = HEADER


class GatewayStaffBackend(RemoteUserBackend):
    """RemoteUserBackend, with Django admin access following the gateway's `Remote-Groups`.

    The gateway maps the provider's `groups` claim to `Remote-Groups` (comma-separated); a user
    in `admin` is staff and superuser when Django logs them in, anyone else is neither. The
    identity provider stays the one place where admins are made.
    """

    def authenticate(self, request, remote_user):
        user = super().authenticate(request, remote_user)
        if user is None:
            return None
        groups = request.META.get('HTTP_REMOTE_GROUPS', '').split(',')
        admin = ADMIN_GROUP in groups
        if user.is_staff != admin or user.is_superuser != admin:
            user.is_staff = user.is_superuser = admin
            user.save(update_fields=['is_staff', 'is_superuser'])
        return user
