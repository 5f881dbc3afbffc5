from django.contrib import admin
from django.urls import path

from . import views

urlpatterns = [
    # Behind the gateway's browser login (oidc): see docs/browser-login.md.
    path('admin/', admin.site.urls),
    path('api/public/hello/', views.hello),
    path('api/user/me/', views.me),
    path('api/<slug:area>/whoami/', views.whoami),
]
