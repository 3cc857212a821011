from django.urls import path

from . import complaint_views

app_name = "complaints"

urlpatterns = [
    path("new/", complaint_views.complaint_new, name="new"),
    path("<int:pk>/", complaint_views.complaint_detail, name="detail"),
    path("<int:pk>/verdict/", complaint_views.complaint_verdict, name="verdict"),
    path("public/", complaint_views.public_new, name="public_new"),
    path("public/sent/", complaint_views.public_sent, name="public_sent"),
    path("confirm/<str:token>/", complaint_views.confirm, name="confirm"),
    path("follow/<str:token>/", complaint_views.follow, name="follow"),
    path("follow/<str:token>/verdict/", complaint_views.follow_verdict, name="follow_verdict"),
]
