from django.urls import path

from . import bundle_views

app_name = "bundles"

urlpatterns = [
    path("start/<slug:slug>/", bundle_views.start, name="start"),
    path("<int:pk>/", bundle_views.detail, name="detail"),
    path("<int:pk>/step/<int:step>/", bundle_views.edit, name="edit"),
    path("<int:pk>/check/", bundle_views.check, name="check"),
    path("<int:pk>/files/<int:attachment_id>/remove/", bundle_views.file_remove, name="file_remove"),
    path("<int:pk>/receipt/", bundle_views.receipt, name="receipt"),
    path("<int:pk>/withdraw/", bundle_views.withdraw, name="withdraw"),
]
