"""The passkey ceremonies under the names django-otp-webauthn's JavaScript and template tags
reverse (the ``otp_webauthn`` namespace), served by accounts.passkey_views."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import passkey_views

app_name = "otp_webauthn"

urlpatterns = [
    path("registration/begin/", passkey_views.PasskeyRegistrationBegin.as_view(),
         name="credential-registration-begin"),
    path("registration/complete/", passkey_views.PasskeyRegistrationComplete.as_view(),
         name="credential-registration-complete"),
    path("authentication/begin/", passkey_views.PasskeyAuthenticationBegin.as_view(),
         name="credential-authentication-begin"),
    path("authentication/complete/", passkey_views.PasskeyAuthenticationComplete.as_view(),
         name="credential-authentication-complete"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]), name="js-i18n-catalog"),
]
