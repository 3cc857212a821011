from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("<str:number>/download/", views.download, name="download"),
    path("verify/", views.verify_start, name="verify_start"),
    path("verify-file/", views.verify_file, name="verify_file"),
    path("verify/<str:number>/", views.verify, name="verify"),
    path("verify/<str:number>/<str:code>/", views.verify_code, name="verify_code"),
]
