from django.urls import path

from . import views

app_name = "finder"

urlpatterns = [
    path("", views.finder_list, name="list"),
    path("<slug:slug>/", views.finder_page, name="finder"),
    path("<slug:slug>/apply/<slug:service_slug>/", views.apply, name="apply"),
]
