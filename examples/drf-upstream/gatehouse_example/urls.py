from django.urls import path

from . import views

urlpatterns = [
    path('api/public/hello/', views.hello),
    path('api/user/me/', views.me),
    path('api/<slug:area>/whoami/', views.whoami),
]
