from django.urls import path

from . import wallet_views

app_name = "certificates"

urlpatterns = [
    path("", wallet_views.wallet, name="wallet"),
    path("<int:pk>/", wallet_views.certificate, name="detail"),
    path("<int:pk>/consents/", wallet_views.consent_give, name="consent_give"),
    path("<int:pk>/consents/<int:consent_id>/withdraw/", wallet_views.consent_withdraw, name="consent_withdraw"),
]
