"""Security basics of every served deployment."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest
import requests
from django.conf import settings
from django.db import connection

from groundwork.database import BASE_DIR


def test_debug_is_off_in_served_deployments(servers):
    for running in servers.values():
        r = requests.get(f"{running.url}/api/no-such-endpoint", timeout=5)
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/json"
        assert "Traceback" not in r.text and "DEBUG" not in r.text


@pytest.mark.parametrize("path", ["/api/ping", "/sync/ping", "/async/ping", "/dashboard/", "/nope"])
def test_allowed_hosts_is_enforced(servers, dashboard, path):
    lab_paths = ("/api/ping", "/sync/ping", "/async/ping")
    targets = [*(servers.values() if path in lab_paths or path == "/nope" else []),
               *([dashboard] if path in ("/dashboard/", "/nope") else [])]
    for running in targets:
        r = requests.get(f"{running.url}{path}", headers={"Host": "evil.example"}, timeout=5)
        assert r.status_code in (400, 404), (path, r.status_code)
        if path != "/nope":
            assert r.status_code == 400 and "Host" in r.json()["error"]


def test_secret_key_is_not_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=BASE_DIR, capture_output=True, text=True).stdout.split()
    assert ".local/secret_key" not in tracked
    assert len(settings.SECRET_KEY) >= 40
    hits = subprocess.run(["git", "grep", "-l", settings.SECRET_KEY], cwd=BASE_DIR, capture_output=True, text=True)
    assert hits.stdout == ""


def test_check_deploy_is_clean_apart_from_documented_exceptions():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout and "3 silenced" in result.stdout
    assert set(settings.SILENCED_SYSTEM_CHECKS) == {"security.W001", "security.W002", "security.W003"}


def test_postgres_statement_timeout_is_set():
    with connection.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "15s"


def test_a_statement_over_the_timeout_is_a_503_not_a_hang(database, monkeypatch):
    from tests.conftest import launch

    monkeypatch.setenv("LAB_DB_STATEMENT_TIMEOUT_MS", "200")
    running = launch("uvicorn", workers=1)
    try:
        r = requests.get(f"{running.url}/api/db/sleep?ms=1000&driver=native", timeout=10)
        assert r.status_code == 503 and "timeout" in r.json()["error"]
    finally:
        running.stop()


def test_dashboard_is_read_only_and_sends_security_headers(dashboard):
    for method in ("POST", "PUT", "DELETE"):
        r = requests.request(method, f"{dashboard.url}/dashboard/claims/", timeout=5)
        assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    r = requests.get(f"{dashboard.url}/dashboard/", timeout=5)
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"


def test_servers_listen_on_loopback_only(servers):
    for running in servers.values():
        pids = {p.pid for p in running.processes()}
        listening = [c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.pid in pids]
        assert listening, running.deployment.label
        assert all(c.laddr.ip in ("127.0.0.1", "::1") for c in listening), listening


def test_no_admin_or_login_surface(servers):
    """Nothing administrative is served: no admin site, no auth app (so nothing to put behind a login)."""
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    for running in servers.values():
        assert requests.get(f"{running.url}/admin/", timeout=5).status_code == 404


def test_the_app_under_test_serves_and_imports_nothing_but_the_endpoints(servers):
    """The measured processes carry no dashboard, bench or fault code: /dashboard/ is not
    routed there, and loading either interface's whole urlconf imports none of it."""
    for running in servers.values():
        assert requests.get(f"{running.url}/dashboard/", timeout=5).status_code == 404
    probe = ("import sys, config.wsgi, config.asgi, config.urls_wsgi, config.urls_asgi; "
             "print('\\n'.join(sorted(sys.modules)))")
    env = {**running.deployment.environment(), "LAB_APP": "lab"}
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True,
                            env=env, check=True).stdout.split()
    foreign = [m for m in loaded if m.startswith(("dashboard.", "bench.", "deploy.", "requests", "locust"))]
    assert not foreign, foreign
