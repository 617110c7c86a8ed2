"""Runs started from Locust's web UI go into the lab's results store, like a suite's runs.

On by default in web UI mode (``--no-record`` turns it off; runs the bench runner drives are
stored by the runner itself). When a test stops, the recorder's measured step and what the
UI ran (host, scenario file, ticked user classes, knobs, users) are handed to
``manage.py bench --store-web-run`` in a subprocess, which asks the target's ``whoami``
which deployment it was. If the lab's PostgreSQL cannot be reached, the run is simply not
recorded and Locust's log says why.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from locust import events
from locust.argument_parser import default_args_dict

from groundwork.names import STORED_RUN_SUFFIX

import _form_guard

log = logging.getLogger("lab.web_record")
last_run_id: int | None = None  # the newest run this UI stored (the link bar points at it)
ROOT = Path(__file__).resolve().parent.parent


@events.init_command_line_parser.add_listener
def _record_argument(parser):
    parser.add_argument("--no-record", action="store_true", default=False, include_in_web_ui=False,
                        help="web UI: do not store runs in the lab's results store")


def wanted(environment) -> bool:
    o = environment.parsed_options
    return bool(environment.web_ui and o is not None and not o.lab_out and not o.no_record)


def result_path() -> str:
    return tempfile.mkstemp(prefix="djlab-webui-", suffix=".json")[1]


def knobs(environment) -> dict:
    defaults = default_args_dict()
    return {k: v for k, v in vars(environment.parsed_options).items()
            if k not in defaults and k not in _form_guard.RUNNER_OWNED and isinstance(v, (int, float, str, bool))}


def submit(environment, result_file: str) -> None:
    """Store the run the recorder just wrote (blocks the stop for a second or two)."""
    global last_run_id
    runner = environment.runner
    meta = {"host": environment.host or "", "stopped_at": time.time(),
            "locustfile": str(environment.parsed_options.locustfile),
            "user_classes": sorted(c.__name__ for c in environment.user_classes),
            "knobs": knobs(environment), "users": runner.target_user_count if runner else 0,
            "workers": getattr(runner, "worker_count", 0) or 1}
    document = Path(result_file).with_suffix(".run.json")
    document.write_text(json.dumps({"meta": meta, "result": json.loads(Path(result_file).read_text())}))
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "bench", "--store-web-run", str(document)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode == 0:
        log.info("lab: %s", done.stdout.strip())
        stored = document.with_suffix(STORED_RUN_SUFFIX)  # {"run_id": N}
        last_run_id = json.loads(stored.read_text())["run_id"]
        stored.unlink(missing_ok=True)
    else:
        log.warning("lab: this run was not recorded in the results store: %s", done.stderr.strip()[-400:])
