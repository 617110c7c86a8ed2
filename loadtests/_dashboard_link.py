"""Points Locust's web UI at the lab's dashboard: a "Lab dashboard" tab listing its pages,
the same links under "Download Data", and ``/lab-dashboard`` redirecting to it.

The dashboard is served by the deployment under test (``--host``), under ``/dashboard/``.
"""
from __future__ import annotations

import json

from locust import events

PAGES = (("Runs and comparisons", "/dashboard/"), ("Claims and verdicts", "/dashboard/claims/"))


@events.init.add_listener
def _link_dashboard(environment, **kwargs):
    web_ui = environment.web_ui
    if not web_ui:
        return
    from flask import redirect, request

    def base() -> str:
        return (environment.host or "").rstrip("/")

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
    def _to_dashboard():
        return redirect(base() + "/dashboard/")
