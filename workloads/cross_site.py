"""Refuse what a web page on another site can make a visitor's browser post to the lab.

The lab under test runs no middleware, so no CSRF token: without this, any page a user opens
could make their browser POST to ``db/write`` (a row written per visit) or ``upload`` on a lab
listening on their machine. A browser sends such a post without asking the server first (no
CORS preflight) only with no Content-Type or one of the three an HTML form can send, and it
marks it: ``Sec-Fetch-Site`` (every current browser) and ``Origin``. The load generator, the
tests and curl send neither. So, for every endpoint that takes a POST:

1. The rule of Go's ``net/http.CrossOriginProtection`` (Go 1.25): ``Sec-Fetch-Site`` other than
   ``same-origin`` or ``none`` is refused; without it, an ``Origin`` whose host is not the
   request's Host is refused; a request with neither is not a browser's and passes. This alone
   also covers a ``fetch(..., {mode: "no-cors"})`` with no Content-Type at all (403).
2. A body declared as a form (``FORM_CONTENT_TYPES``) is refused (415) whatever sent it: no
   endpoint reads forms (``upload`` takes raw bytes, Locust sends them as
   ``application/octet-stream``; ``json`` takes ``application/json``), and a browser too old
   to send either header above still cannot send anything else cross-site.
"""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.utils.http import parse_header_parameters

from workloads.errors import ApiError

# The Content-Types a cross-site form (or no-cors fetch) sends without a preflight (Fetch
# standard: the CORS-safelisted values of Content-Type).
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
SAME_ORIGIN_FETCH = ("same-origin", "none")  # "none": typed in the address bar, a bookmark


def check_same_origin(headers: Mapping[str, str]) -> None:
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() not in SAME_ORIGIN_FETCH:
            raise ApiError(403, f"cross-site request refused (Sec-Fetch-Site: {site})")
        return
    origin = headers.get("origin")
    if origin is not None and _host_of(origin) != (headers.get("host") or "").lower():
        raise ApiError(403, f"cross-origin request refused (Origin {origin!r} is not this host)")


def check_not_a_form(headers: Mapping[str, str]) -> None:
    content_type = parse_header_parameters(headers.get("content-type", ""))[0]
    if content_type in FORM_CONTENT_TYPES:
        raise ApiError(415, f"Content-Type {content_type!r} is a form's, refused (a cross-site page can post "
                            f"one): send the body as application/octet-stream, or with no Content-Type")


def _host_of(origin: str) -> str | None:
    try:
        return urlsplit(origin.strip()).netloc.lower() or None
    except ValueError:  # not a URL at all
        return None
