from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Read-only pages over the results store: runs, comparisons, claims with verdicts."""

    name = "dashboard"
