from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response


def _identity(request):
    """What this app learned about the caller, all of it from the gateway's headers."""
    meta = request.META
    user = request.user
    return {
        'user': user.username if user.is_authenticated else None,
        'user_id': user.pk if user.is_authenticated else None,
        'is_authenticated': user.is_authenticated,
        'remote_client': meta.get('HTTP_REMOTE_CLIENT'),
        'remote_scopes': meta.get('HTTP_REMOTE_SCOPES'),
        'remote_auth': meta.get('HTTP_REMOTE_AUTH'),
        'saw_authorization': 'HTTP_AUTHORIZATION' in meta,
        'saw_api_key': 'HTTP_X_API_KEY' in meta,
    }


@api_view(['GET'])
@permission_classes([AllowAny])
def hello(request):
    return Response({'hello': 'world'})


@api_view(['GET', 'POST'])
@permission_classes([AllowAny])
def whoami(request, area):
    return Response({'area': area, **_identity(request)})


@api_view(['GET'])
@permission_classes([IsAuthenticated])
def me(request):
    return Response(_identity(request))
