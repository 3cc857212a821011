from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import oidc_urls
from accounts import urls as account_urls
from accounts import views as account_views
from citizen import bundle_views, profile_urls, progress_views
from permits import urls as permits_urls
from workspace import permit_urls

from . import identity, views
from .models import SitePage

# The identity service's pages, given the services that bind an identity and audit it.
identity_urlpatterns = oidc_urls.identity_urlpatterns(sign_in=identity.identity_sign_in, link=identity.identity_link)

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service_detail"),
    path("services/<slug:slug>/guide/print/", views.service_guide_print, name="service_guide_print"),
    path("services/<slug:slug>/guide/files/<str:name>", views.service_guide_file, name="service_guide_file"),
    path("finder/", include("finder.urls")),
    path("progress/", progress_views.progress, name="progress"),
    path("life-events/<slug:slug>/", bundle_views.bundle_page, name="bundle_page"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("start/", views.landing, name="landing"),
    path("text-size/", views.text_size, name="text_size"),
    *[path(f"{slug}/", views.site_page, {"slug": slug}, name=f"page_{slug}") for slug in SitePage.Slug.values],
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include(([*account_urls.urlpatterns, *identity_urlpatterns, *profile_urls.urlpatterns],
                               account_urls.app_name))),
    path("accounts/passkeys/", include("accounts.passkey_urls")),
    path("applications/bundles/", include("citizen.bundle_urls")),
    path("applications/", include("citizen.urls")),
    path("complaints/", include("citizen.complaint_urls")),
    path("my/certificates/", include("citizen.wallet_urls")),
    path("officer/", include("workspace.urls")),
    path("permits/", include(([*permits_urls.urlpatterns, *permit_urls.urlpatterns], permits_urls.app_name))),
    # One sign-in for the whole site, the admin's included: password, then the second factor.
    path("admin/login/", RedirectView.as_view(pattern_name="accounts:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("finance/", include("finance.urls")),
    path("performance/", include("dashboards.public_urls")),
    path("audit/", include("audit.urls")),
]

handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
