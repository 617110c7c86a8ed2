"""URL layout shared by both interfaces.

- ``/api/<endpoint>``: the view flavour that matches the interface (sync under WSGI,
  async under ASGI), so the same client hits either deployment unchanged;
- ``/sync/<endpoint>`` and ``/async/<endpoint>``: a fixed flavour on either server (the
  cross cells: sync views under ASGI, async views under WSGI).

Nothing else: the processes being measured import only what serving the endpoints needs
(no dashboard, bench or fault code, whose memory would count in their figures).
"""
from types import ModuleType

from django.urls import URLPattern, path

from workloads.catalogue import CATALOGUE


def endpoint_patterns(prefix: str, views: ModuleType) -> list[URLPattern]:
    """One route per catalogue entry; a view module missing one fails here, at import."""
    return [path(f"{prefix}{ep.path}", getattr(views, ep.view_name)) for ep in CATALOGUE]


def urlpatterns_for(api_views: ModuleType) -> list[URLPattern]:
    import async_views.views
    import sync_views.views

    return [
        *endpoint_patterns("api/", api_views),
        *endpoint_patterns("sync/", sync_views.views),
        *endpoint_patterns("async/", async_views.views),
    ]  # the dashboard is served by a deployment of its own (config.dashboard_wsgi)
