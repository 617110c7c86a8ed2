from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The bench runner and its results store: experiments, runs, steps, samples."""

    name = "bench"
