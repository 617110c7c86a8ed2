"""Which interface (WSGI or ASGI) brought a request in, and the per-interface request
classes that carry their own urlconf so ``/api/`` resolves to the matching view flavour."""
from __future__ import annotations

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest


class LabWSGIRequest(WSGIRequest):
    # BaseHandler.resolve_request() honours request.urlconf: no middleware needed.
    urlconf = "config.urls_wsgi"


class LabASGIRequest(ASGIRequest):
    urlconf = "config.urls_asgi"


def interface_of(request: HttpRequest) -> str:
    return "asgi" if isinstance(request, ASGIRequest) else "wsgi"
