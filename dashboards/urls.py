from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bottlenecks/", views.bottlenecks, name="bottlenecks"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("departments/<slug:code>/overdue/", views.overdue, name="overdue"),
    path("export/<slug:name>.csv", views.export, name="export"),
]
