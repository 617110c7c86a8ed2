from django.apps import AppConfig


class DeployConfig(AppConfig):
    """Deployments: the embedded PostgreSQL and the servers (`postgres`, `serve`, `demo`)."""

    name = "deploy"
