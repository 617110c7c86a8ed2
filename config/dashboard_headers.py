"""The security headers of the dashboard's deployment, on every answer it gives.

A WSGI middleware around the dashboard's handler (``config.dashboard_wsgi``), not a Django
``MIDDLEWARE`` entry: that setting is shared with the deployments under test, which must carry
none. Wrapping the handler from outside, the headers reach whatever produced the answer: a page,
a JSON error, Django's 404 for a path that matches nothing, or the 500 of a page that failed.

The Content-Security-Policy allows scripts, styles and requests from the dashboard's own origin
only: no inline script or event handler runs (the pages' handlers live in ``dashboard.js``; the
``json_script`` blocks carrying chart data are ``application/json``, which is never executed), no
plugin loads, no other site frames a page, and forms submit to the dashboard only.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"))
# What SecurityMiddleware and XFrameOptionsMiddleware would add, and the policy above.
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                    "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                    "Cross-Origin-Opener-Policy": "same-origin"}


class SecurityHeaders:
    """Add ``SECURITY_HEADERS`` to every response of a WSGI application (one it set wins)."""

    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            present = {name.lower() for name, _ in headers}
            missing = [(name, value) for name, value in SECURITY_HEADERS.items() if name.lower() not in present]
            return start_response(status, [*headers, *missing], exc_info)

        return self.app(environ, start)
