from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.my_applications, name="my_applications"),
    path("start/<slug:slug>/", views.start, name="start"),
    path("notifications/", views.notifications, name="notifications"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<int:step>/", views.edit, name="edit"),
    path("<int:pk>/check/", views.check, name="check"),
    path("<int:pk>/submitted/", views.submitted, name="submitted"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
