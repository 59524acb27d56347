"""Supervision URLs (app_name "supervision"): the team dashboard, its item lists and the KPIs."""

from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("items/", views.items, name="items"),
    path("kpis/", views.kpis, name="kpis"),
    path("kpis.csv", views.kpis_csv, name="kpis-csv"),
]
