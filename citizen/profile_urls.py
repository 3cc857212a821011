"""The profile page, joined to the accounts namespace in portal.urls: it keeps its address
(/accounts/profile/) and its name (accounts:profile)."""

from django.urls import path

from .profile_views import ProfileView

urlpatterns = [
    path("profile/", ProfileView.as_view(), name="profile"),
]
