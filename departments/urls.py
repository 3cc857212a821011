from django.urls import path

from . import views

app_name = "departments"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<int:pk>/", views.review_page, name="review"),
    path("reviews/<int:pk>/claim/", views.claim, name="claim"),
    path("reviews/<int:pk>/release/", views.release, name="release"),
    path("reviews/<int:pk>/decide/", views.decide, name="decide"),
    path("reviews/<int:pk>/messages/", views.message, name="message"),
    path("reviews/<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
