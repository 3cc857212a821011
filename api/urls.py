from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import pages, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="token-revoke"),
    path("v1/services/", views.ServiceListView.as_view(), name="services"),
    path("v1/services/<slug:slug>/", views.ServiceDetailView.as_view(), name="service"),
    path("v1/permits/<str:number>/verification/", views.PermitVerifyView.as_view(), name="permit-verify"),
    path("v1/permits/<str:number>/verification/<str:code>/", views.PermitVerifyCodeView.as_view(),
         name="permit-verify-code"),
    path("v1/reviews/", views.ReviewListView.as_view(), name="reviews"),
    path("v1/reviews/<str:pk>/", views.ReviewDetailView.as_view(), name="review"),
    path("v1/reviews/<str:pk>/attachments/<str:attachment_id>/", views.ReviewAttachmentView.as_view(),
         name="review-attachment"),
    path("v1/reviews/<str:pk>/claim/", views.ReviewClaimView.as_view(), name="review-claim"),
    path("v1/reviews/<str:pk>/decision/", views.ReviewDecisionView.as_view(), name="review-decision"),
    path("v1/reviews/<str:pk>/messages/", views.ReviewMessageView.as_view(), name="review-messages"),
    path("v1/filings/", views.FilingListView.as_view(), name="filings"),
    path("v1/filings/<str:pk>/", views.FilingDetailView.as_view(), name="filing"),
    path("v1/filings/<str:pk>/acknowledge/", views.FilingAcknowledgeView.as_view(), name="filing-acknowledge"),
    path("v1/webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("v1/webhooks/<str:pk>/", views.WebhookDetailView.as_view(), name="webhook"),
    path("v1/webhooks/<str:pk>/rotate-secret/", views.WebhookSecretView.as_view(), name="webhook-rotate-secret"),
    path("v1/applications/", views.ApplicationListView.as_view(), name="applications"),
    path("v1/applications/<str:pk>/", views.ApplicationDetailView.as_view(), name="application"),
    path("v1/applications/<str:pk>/answers/", views.ApplicationAnswersView.as_view(), name="application-answers"),
    path("v1/applications/<str:pk>/attachments/", views.ApplicationAttachmentView.as_view(),
         name="application-attachments"),
    path("v1/applications/<str:pk>/submit/", views.ApplicationSubmitView.as_view(), name="application-submit"),
    path("v1/applications/<str:pk>/corrections/", views.ApplicationCorrectionView.as_view(),
         name="application-corrections"),
    path("v1/applications/<str:pk>/permit/", views.ApplicationPermitView.as_view(), name="application-permit"),
    path("v1/citizens/", views.CitizenListView.as_view(), name="citizens"),
    path("v1/citizens/<str:pk>/claim-letter/", views.CitizenClaimLetterView.as_view(), name="citizen-claim-letter"),
    path("applications/<int:pk>/consent/", pages.consent_document, name="consent-document"),
    re_path(r"^", views.NotFoundView.as_view(), name="not-found"),
]
