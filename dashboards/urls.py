from django.urls import path

from . import appraisal_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bottlenecks/", views.bottlenecks, name="bottlenecks"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("departments/<slug:code>/overdue/", views.overdue, name="overdue"),
    path("export/<slug:name>.csv", views.export, name="export"),
    path("appraisal/mine/", appraisal_views.my_appraisal, name="appraisal_mine"),
    path("appraisal/<slug:code>/", appraisal_views.department_appraisal, name="appraisal"),
    path("appraisal/<slug:code>/officers/<int:officer_id>/", appraisal_views.officer_appraisal,
         name="officer_appraisal"),
]
