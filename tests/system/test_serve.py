"""``manage.py serve``: refuses impossible deployments, warns about misleading ones, and
stops every worker on SIGTERM/SIGINT."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
import requests

from groundwork.database import BASE_DIR
from deploy.deployments import Deployment, DeploymentError
from deploy.management.commands.serve import cpu_list
from deploy.process import free_port, kill_tree, wait_until_serving


def manage(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args,message", [
    (["uvicorn", "--threads", "4"], "--threads applies to gunicorn"),
    (["gunicorn-uvicorn", "--threads", "4"], "--threads applies to gunicorn"),
    (["gunicorn", "--workers", "40", "--pool-size", "100"], "exceed PostgreSQL's capacity"),
    (["gunicorn", "--workers", "0"], "--workers must be between"),
    (["uvicorn", "--cpus", "99"], "not available"),
    (["uvicorn", "--cpus", "x"], "expected a list"),
    (["granian"], "granian serves --interface wsgi or asgi; choose one"),
    (["granian", "--interface", "asgi", "--threads", "2"], "--threads applies to gunicorn (gthread) and granian"),
    (["gunicorn", "--interface", "asgi"], "gunicorn serves --interface wsgi, not 'asgi'"),
    (["uvicorn", "--backpressure", "0"], "--backpressure must be between"),
    (["granian", "--interface", "wsgi", "--backpressure", "0"], "--backpressure must be between"),
    (["granian", "--interface", "wsgi", "--workers", "40", "--pool-size", "100"], "exceed PostgreSQL's capacity"),
    (["uvicorn", "--workers", "2", "--preload", "preload"], "--preload applies to gunicorn and gunicorn-uvicorn only"),
])
def test_impossible_deployments_are_refused(args, message):
    result = manage("serve", *args, "--check")
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


@pytest.mark.parametrize("server", [["gunicorn"], ["granian", "--interface", "wsgi"]])
def test_more_threads_than_pool_connections_warns(server):
    result = manage("serve", *server, "--threads", "16", "--pool-size", "4", "--check")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "queue for a connection" in result.stderr


def test_granian_backpressure_below_its_threads_warns():
    result = manage("serve", "granian", "--interface", "wsgi", "--threads", "8", "--backpressure", "4", "--check")
    assert result.returncode == 0, result.stderr
    assert "WARNING" in result.stderr and "at most 4 threads per worker" in result.stderr


def test_check_prints_the_exact_pinned_command_line():
    result = manage("serve", "gunicorn-uvicorn", "--workers", "2", "--cpus", "0", "--check")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("$ ") and "taskset --cpu-list 0" in line
    assert "uvicorn_worker.LabUvicornWorker" in line and "--workers 2" in line


@pytest.mark.parametrize("preload", ["preload", "freeze"])
def test_preload_loads_the_app_in_gunicorns_master(preload):
    result = manage("serve", "gunicorn", "--workers", "4", "--threads", "2", "--preload", preload, "--check")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert "--preload" in line and "--workers 4" in line


@pytest.mark.parametrize("interface,app,specific", [
    ("wsgi", "config.wsgi:application", ["--interface wsgi", "--blocking-threads 6", "--backpressure 12"]),
    ("asgi", "config.asgi:application", ["--interface asginl", "--loop uvloop", "--backpressure 12"]),
])
def test_check_prints_granian_command_line_per_interface(interface, app, specific):
    threads = ["--threads", "6"] if interface == "wsgi" else []
    result = manage("serve", "granian", "--interface", interface, "--workers", "2", *threads, "--backpressure", "12",
                    "--cpus", "0", "--check")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("$ ") and "taskset --cpu-list 0" in line and "-m granian" in line
    for part in (app, "--host 127.0.0.1", "--workers 2", "--no-access-log", "--log-level warning",
                 "--respawn-failed-workers", *specific):
        assert part in line, (part, line)
    other = "--loop uvloop" if interface == "wsgi" else "--blocking-threads"
    assert other not in line


def test_granian_labels_say_the_interface_and_default_threads_match_gthread():
    wsgi = Deployment("granian", interface="wsgi", cpus=(0,), port=9000)
    asgi = Deployment("granian", interface="asgi", backpressure=64, port=9000)
    assert wsgi.threads == Deployment("gunicorn").threads  # not Granian's own default (512)
    assert wsgi.label == f"granian-wsgi-1wx{wsgi.threads}t@cpu0:9000"
    assert asgi.label == "granian-asgi-1w-bp64:9000" and asgi.threads is None
    assert (wsgi.interface, asgi.interface) == ("wsgi", "asgi")
    assert Deployment("gunicorn").interface == "wsgi" and Deployment("uvicorn").interface == "asgi"


def test_cpu_list_parsing():
    assert cpu_list("0") == (0,)
    assert cpu_list("0,2-3") == (0, 2, 3)


def test_capacity_rule_counts_both_pools():
    d = Deployment("uvicorn", workers=4, pool_size=10)
    assert d.max_db_connections == 80
    d.check_capacity(max_connections=600, reserved=3, in_use=0)
    with pytest.raises(DeploymentError):
        d.check_capacity(max_connections=90, reserved=3, in_use=0)


@pytest.mark.parametrize("server,sig,interface", [
    (["gunicorn"], signal.SIGTERM, "wsgi"), (["uvicorn"], signal.SIGINT, "asgi"),
    (["gunicorn-uvicorn"], signal.SIGTERM, "asgi"),
    (["granian", "--interface", "wsgi"], signal.SIGTERM, "wsgi"),
    (["granian", "--interface", "asgi"], signal.SIGINT, "asgi"),
], ids=lambda value: "-".join(a for a in value if not a.startswith("--")) if isinstance(value, list) else None)
def test_serve_stops_the_server_and_all_workers(server, sig, interface):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", *server, "--workers", "2", "--port", str(port)],
                            cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_serving(f"{url}/api/ping", 120, alive=lambda: proc.poll() is None), "no answer"
        tree = psutil.Process(proc.pid).children(recursive=True)
        assert len(tree) >= 3, tree  # server master + 2 workers
        pinned_url_ok = requests.get(f"{url}/api/whoami", timeout=30).json()
        assert pinned_url_ok["interface"] == interface
        os.kill(proc.pid, sig)
        proc.wait(30)
        gone, alive = psutil.wait_procs(tree, timeout=10)
        assert not alive, alive
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/api/ping", timeout=2)
    finally:
        # pass or fail, nothing of this deployment outlives the test (the server has its own session)
        kill_tree(proc.pid)


def test_ctrl_c_stops_serve_even_when_it_was_started_with_sigint_ignored():
    """A shell without job control starts background commands with SIGINT ignored, and Python then
    keeps it ignored: `serve` must install its own Ctrl-C handling, or SIGINT would do nothing."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "uvicorn", "--workers", "1", "--port", str(port)],
                            cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert wait_until_serving(f"http://127.0.0.1:{port}/api/ping", 120, alive=lambda: proc.poll() is None)
        tree = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(30)
        _, alive = psutil.wait_procs(tree, timeout=10)
        assert not alive, alive
    finally:
        kill_tree(proc.pid)


def test_the_session_end_check_finds_a_server_left_behind():
    """The check in conftest.pytest_sessionfinish: a process this session started and forgot
    carries the session's mark and is found; once killed, it is not."""
    from tests.conftest import left_behind, SESSION_MARK

    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert stray.pid in {p.pid for p in left_behind(os.environ[SESSION_MARK])}
    finally:
        stray.kill()
        stray.wait()
    assert stray.pid not in {p.pid for p in left_behind(os.environ[SESSION_MARK])}


def test_a_slow_first_answer_is_not_ready_rather_than_an_error():
    """A listener that accepts but never answers (a worker still booting) is "not serving yet"."""
    import socket

    from deploy.process import answers

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        assert answers(f"{url}/api/ping", timeout_s=0.5) is False


@pytest.mark.parametrize("deployment,expected", [
    (Deployment("gunicorn", backpressure=32, port=9000), "--worker-connections 32"),
    (Deployment("uvicorn", backpressure=32, port=9000), "--limit-concurrency 32"),
    (Deployment("fastapi", backpressure=32, port=9000), "--limit-concurrency 32"),
    (Deployment("granian", interface="wsgi", backpressure=32, port=9000), "--backpressure 32"),
])
def test_the_overload_control_reaches_each_servers_own_setting(deployment, expected):
    assert expected in deployment.command_line()
    assert "-bp32" in deployment.label


def test_gunicorn_uvicorn_gets_its_limit_through_the_worker_environment():
    d = Deployment("gunicorn-uvicorn", backpressure=32, port=9000)
    assert d.environment()["LAB_LIMIT_CONCURRENCY"] == "32"
    assert "LAB_LIMIT_CONCURRENCY" not in Deployment("gunicorn-uvicorn", port=9000).environment()
