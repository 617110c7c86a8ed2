"""Urlconf of requests that came in over ASGI: ``/api/`` serves the async views."""
import async_views.views
from config.routes import urlpatterns_for

urlpatterns = urlpatterns_for(async_views.views)

handler400 = "workloads.errors.bad_request"
handler404 = "workloads.errors.not_found"
handler500 = "workloads.errors.server_error"
