from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("<str:number>/download/", views.download, name="download"),
    path("verify/<str:number>/", views.verify, name="verify"),
]
