from django.apps import AppConfig


class WorkloadsConfig(AppConfig):
    """The shared endpoint catalogue: parameters, bounds, work and response shapes, written
    once for both view flavours, plus the tables the database endpoints use."""

    name = "workloads"
