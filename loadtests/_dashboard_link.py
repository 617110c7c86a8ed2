"""Points Locust's web UI at the lab's dashboard: a bar of links on every tab that open in a
new browser tab (the dashboard, and this scenario: the comparison of the last run recorded
from this UI, or the claim's card before any), a "Lab dashboard" tab listing its pages, the
same links under "Download Data", and ``/lab-dashboard`` redirecting to it.

The dashboard runs in a deployment of its own (``manage.py dashboard``, port 8000 by
default; ``make demo`` starts it): ``--dashboard-url`` says where. It is an http(s) address
given on the command line only (``_form_guard`` refuses it from the form), so the redirects
go nowhere else; the routes ask for Locust's login when ``--web-login`` is on.
"""
from __future__ import annotations

import argparse
import json
import os
from urllib.parse import urlsplit

from locust import events

import _web_record


def dashboard_url(text: str) -> str:
    """An http(s) address with a host: what else a redirect could lead to is no dashboard."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"must be an http(s) address such as http://127.0.0.1:8000, got {text!r}")
    return text.rstrip("/")


@events.init_command_line_parser.add_listener
def _dashboard_argument(parser):
    parser.add_argument("--dashboard-url", type=dashboard_url,
                        default=os.environ.get("LAB_DASHBOARD_URL", "http://127.0.0.1:8000"),
                        include_in_web_ui=False, help="where the lab's dashboard is served (manage.py dashboard)")

PAGES = (("The stacks compared, per workload", "/dashboard/"), ("Runs", "/dashboard/runs/"),
         ("Claims and verdicts", "/dashboard/claims/"))
LINK_BAR = ('<div id="lab-links" style="position:fixed;bottom:10px;right:10px;z-index:2000;background:#fff;'
            'color:#111;border:1px solid #bbb;border-radius:6px;padding:4px 10px;font:13px sans-serif">'
            'Lab: <a href="/lab-dashboard" target="_blank" rel="noopener">dashboard &#8599;</a> &middot; '
            '<a href="/lab-dashboard/current" target="_blank" rel="noopener">this scenario &#8599;</a></div>')


@events.init.add_listener
def _link_dashboard(environment, **kwargs):
    web_ui = environment.web_ui
    if not web_ui:
        return
    from flask import redirect, request

    def base() -> str:
        return environment.parsed_options.dashboard_url.rstrip("/")

    def rows() -> list[dict]:
        return [{"name": title, "url": base() + path} for title, path in PAGES]

    web_ui.template_args["extended_tabs"] = [{"title": "Lab dashboard", "key": "lab-dashboard"}]
    web_ui.template_args["extended_tables"] = [{"key": "lab-dashboard", "structure": [
        {"key": "name", "title": "Page"}, {"key": "url", "title": "Address (clickable under Download Data)"}]}]
    web_ui.template_args["extended_csv_files"] = [{"href": base() + path, "title": f"Lab dashboard: {title}"}
                                                  for title, path in PAGES]

    @web_ui.app.after_request
    def _add_dashboard_rows(response):
        if request.path == "/stats/requests" and response.is_json:
            data = response.get_json()
            data["extended_stats"] = [*data.get("extended_stats", []), {"key": "lab-dashboard", "data": rows()}]
            response.set_data(json.dumps(data))
        return response

    @web_ui.app.route("/lab-dashboard")
    @web_ui.auth_required_if_enabled
    def _to_dashboard():
        return redirect(base() + "/dashboard/")

    @web_ui.app.route("/lab-dashboard/current")
    @web_ui.auth_required_if_enabled
    def _to_current():
        """The last run this UI recorded, compared; before any, the chosen claim's card."""
        run_id = _web_record.last_run_id
        if run_id:
            return redirect(f"{base()}/dashboard/compare/?run={run_id}")
        claim = getattr(environment.parsed_options, "scenario", "") or ""
        return redirect(f"{base()}/dashboard/claims/" + (f"#{claim}" if claim else ""))

    @web_ui.app.after_request
    def _add_link_bar(response):
        if request.path == "/" and response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            response.set_data(html.replace("</body>", LINK_BAR + "</body>", 1))
        return response
