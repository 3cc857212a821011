from django.urls import path

from . import second_factor_views as second_factor
from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("register/done/", views.RegisterDoneView.as_view(), name="register_done"),
    path("verify/resend/", views.ResendVerificationView.as_view(), name="resend_verification"),
    path("verify/confirm/", views.VerifyConfirmView.as_view(), name="verify_confirm"),
    path("verify/<uidb64>/<token>/", views.VerifyLinkView.as_view(), name="verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    # The staff's second factor (accounts.second_factor), and confirming it is them.
    path("second-factor/", second_factor.SecondFactorView.as_view(), name="second_factor"),
    path("second-factor/recovery-code/", second_factor.SecondFactorView.as_view(recovery=True),
         name="second_factor_recovery"),
    path("second-factor/set-up/", second_factor.EnrolView.as_view(), name="second_factor_enrol"),
    path("second-factor/recovery-codes/", second_factor.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("second-factor/recovery-codes/new/", second_factor.RecoveryCodesNewView.as_view(), name="recovery_codes_new"),
    path("confirm/", second_factor.SecondFactorView.as_view(confirming=True), name="confirm"),
    path("confirm/recovery-code/", second_factor.SecondFactorView.as_view(confirming=True, recovery=True),
         name="confirm_recovery"),
    path("security/", second_factor.SecurityView.as_view(), name="security"),
    path("security/<str:kind>/<int:pk>/remove/", second_factor.FactorRemoveView.as_view(), name="factor_remove"),
]
