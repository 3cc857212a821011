"""The public performance pages and open data, mounted at /performance/ (no sign-in)."""

from django.urls import path

from . import public_views

app_name = "performance"

urlpatterns = [
    path("", public_views.index, name="index"),
    path("departments/<slug:key>/", public_views.subject_page, {"kind": "department"}, name="department"),
    path("services/<slug:key>/", public_views.subject_page, {"kind": "service"}, name="service"),
    path("data/", public_views.data_page, name="data"),
    path("data/<slug:kind>.schema.json", public_views.data_schema, name="schema"),
    path("data/<slug:kind>.csv", public_views.data_file, {"fmt": "csv"}, name="csv"),
    path("data/<slug:kind>.json", public_views.data_file, {"fmt": "json"}, name="json"),
]
