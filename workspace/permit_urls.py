"""The staff's permit pages, joined to the permits namespace in portal.urls."""

from django.urls import path

from . import permit_views

urlpatterns = [
    path("manage/", permit_views.manage_list, name="manage_list"),
    # Before manage/<number>/: "corrections" is no permit number.
    path("manage/corrections/", permit_views.corrections, name="reissue_requests"),
    path("manage/corrections/<int:pk>/", permit_views.correction, name="reissue_request"),
    path("manage/corrections/<int:pk>/approve/", permit_views.correction_approve, name="reissue_approve"),
    path("manage/corrections/<int:pk>/reject/", permit_views.correction_reject, name="reissue_reject"),
    path("manage/<str:number>/", permit_views.manage, name="manage"),
    path("manage/<str:number>/revoke/", permit_views.revoke, name="revoke"),
    path("manage/<str:number>/reissue/", permit_views.reissue, name="reissue"),
]
