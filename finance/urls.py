from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("", views.home, name="home"),
    path("day/", views.day, name="day"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("issues/", views.issues, name="issues"),
    path("issues/<int:pk>/", views.issue, name="issue"),
    *[path(f"issues/<int:pk>/{how}/", views.issue_resolve, {"how": how}, name=f"issue_{how}")
      for how in views.RESOLUTIONS],
    path("refunds/", views.refunds, name="refunds"),
    *[path(f"refunds/<int:pk>/{how}/", views.refund_act, {"how": how}, name=f"refund_{how}")
      for how in views.REFUND_ACTIONS],
    path("totals/", views.totals, name="totals"),
]
