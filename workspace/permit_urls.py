"""The staff's permit pages, joined to the permits namespace in portal.urls."""

from django.urls import path

from . import permit_views

urlpatterns = [
    path("manage/", permit_views.manage_list, name="manage_list"),
    path("manage/<str:number>/", permit_views.manage, name="manage"),
    path("manage/<str:number>/revoke/", permit_views.revoke, name="revoke"),
    path("manage/<str:number>/reissue/", permit_views.reissue, name="reissue"),
]
