"""The identity service's pages, joined to the accounts namespace by portal.urls, which gives the
views the services that bind an identity and record it in the audit log (portal.identity)."""

from django.urls import path

from . import oidc_views


def identity_urlpatterns(*, sign_in, link) -> list:
    return [
        path("oidc/start/", oidc_views.StartView.as_view(), name="oidc_start"),
        path("oidc/callback/", oidc_views.CallbackView.as_view(sign_in=sign_in), name="oidc_callback"),
        path("oidc/email/", oidc_views.EmailView.as_view(sign_in=sign_in), name="oidc_email"),
        path("oidc/link/", oidc_views.LinkView.as_view(link=link), name="oidc_link"),
    ]
