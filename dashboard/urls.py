from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.front, name="dashboard-home"),
    path("runs/", views.runs, name="dashboard-runs"),
    path("runs/<int:run_id>/", views.run_detail, name="dashboard-run"),
    path("runs/<int:run_id>/report", views.run_report, name="dashboard-run-report"),
    path("compare/", views.compare, name="dashboard-compare"),
    path("claims/", views.claims, name="dashboard-claims"),
    path("reliability/", views.reliability, name="dashboard-reliability"),
    path("ladders/", views.ladders, name="dashboard-ladders"),
    path("data/ladders", views.ladders_data, name="dashboard-ladders-data"),
    path("data/reliability", views.reliability_data, name="dashboard-reliability-data"),
    path("data/compare/<str:chart>", views.compare_data, name="dashboard-compare-data"),
    path("data/curves", views.curves_data, name="dashboard-curves-data"),
    path("data/curves/distribution", views.curves_distribution, name="dashboard-curves-distribution"),
    path("data/claims", views.claims_data, name="dashboard-claims-data"),
    path("data/runs/<int:run_id>", views.run_data, name="dashboard-run-data"),
    path("static/<path:path>", views.static, name="dashboard-static"),
]
