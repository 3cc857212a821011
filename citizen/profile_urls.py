"""The profile page and the claim of an account a front desk registered, joined to the accounts
namespace in portal.urls: they keep their addresses (/accounts/profile/, /accounts/claim/) and
names (accounts:profile, accounts:claim …)."""

from django.urls import path

from .claim_views import ClaimLinkView, ClaimStartView, ClaimView
from .profile_views import ProfileView

urlpatterns = [
    path("profile/", ProfileView.as_view(), name="profile"),
    path("claim/", ClaimStartView.as_view(), name="claim_start"),
    path("claim/account/", ClaimView.as_view(), name="claim"),
    path("claim/<str:code>/", ClaimLinkView.as_view(), name="claim_link"),
]
