"""Django's and DRF's documented way to read the user from a proxy's HTTP header.

Both default to the `REMOTE_USER` CGI variable a web server module sets; a proxy sends an
HTTP header instead, which WSGI exposes as `HTTP_REMOTE_USER`. Safe only because gatehouse
is the only way in and strips `Remote-User` (and `Remote_User`, which WSGI folds into the
same key) from every client request before setting its own.
"""
from django.contrib.auth.middleware import RemoteUserMiddleware
from rest_framework.authentication import RemoteUserAuthentication

HEADER = 'HTTP_REMOTE_USER'


class GatewayRemoteUserMiddleware(RemoteUserMiddleware):
    header = HEADER


class GatewayRemoteUserAuthentication(RemoteUserAuthentication):
    header = HEADER
