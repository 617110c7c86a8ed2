"""Urlconf of the dashboard's own deployment: the results pages, nothing that is benchmarked."""
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/")),
    path("dashboard/", include("dashboard.urls")),
]

handler400 = "workloads.errors.bad_request"
handler404 = "workloads.errors.not_found"
handler500 = "workloads.errors.server_error"
