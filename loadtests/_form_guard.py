"""What Locust's web UI form may change, checked when the form is posted and again when a test
starts; and a web UI and a master that listen on loopback unless told otherwise.

Locust 2.47's ``/swarm`` sets every posted field that names a parsed option, hidden ones
included, converted by the type of the current value only (no ``choices``, no validators), and
it has no CSRF check. Unchecked, one form post (from the page, or from any site the browser
visits meanwhile) could set ``lab_out`` (the recorder then overwrites any file Locust can
write), ``dashboard_url`` (``/lab-dashboard`` then redirects anywhere) or ``ms=-5``.

- ``RUNNER_OWNED`` lists the options only the command line sets. At ``test_start`` (master or
  local runner) each must still equal the copy of the options taken at init, and every knob
  must pass its own argparse type and choices again (the catalogue's bounds: see ``_lab``).
  Otherwise the test stops before a user starts or anything is recorded: ``StopTest``, which
  Locust logs (the UI's "Logs" tab shows it). This module is imported before the recorder, so
  its listener runs first.
- A ``/swarm`` post is checked by the same rules before Locust applies it, so nothing of a
  refused form is applied and the form shows the refusal as its error. A POST from a page of
  another origin is refused outright.
- ``--web-host`` and ``--master-bind-host`` default to loopback: ``--web-host '*'`` (or a
  master's ``--master-bind-host '*'``) opens them to the network on purpose.
"""
from __future__ import annotations

import argparse
import copy
import logging

from locust import events
from locust.argument_parser import default_args_dict
from locust.exception import StopTest
from locust.runners import WorkerRunner

log = logging.getLogger("lab.form_guard")
LOOPBACK = "127.0.0.1"
# Set from the command line only. lab_paced_users and lab_generators are set by the lab itself
# when a test starts (``set_by_runner``); the last three are Locust's own report files.
RUNNER_OWNED = ("lab_out", "lab_warmup", "lab_paced_users", "lab_generators", "no_record", "dashboard_url",
                "csv_prefix", "html_file", "json_file")
# Locust's own fields of the form, which its /swarm handler parses and checks itself.
LOCUST_FIELDS = frozenset({"user_count", "spawn_rate", "host", "user_classes", "shape_class", "run_time", "profile"})

_parser: argparse.ArgumentParser | None = None
_knobs: dict[str, argparse.Action] = {}  # what the form shows under "Custom parameters"
_snapshot: dict = {}  # the parsed options at init


@events.init_command_line_parser.add_listener
def _loopback_defaults(parser):
    global _parser
    _parser = parser
    parser.set_defaults(web_host=LOOPBACK, master_bind_host=LOOPBACK)


def knob_problem(name: str, raw: str) -> str | None:
    """Why the form may not give ``raw`` to option ``name``; None if it may."""
    if name in LOCUST_FIELDS:
        return None
    if name in RUNNER_OWNED:
        return f"{name} is set by the runner only, not from the web UI"
    action = _knobs.get(name)
    if action is None:
        return f"{name} is not an option of this form"
    try:
        value = action.type(raw) if callable(action.type) else raw
    except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
        return f"{name}: {exc}"
    if action.choices is not None and value not in action.choices:
        return f"{name} must be one of {', '.join(map(str, action.choices))}, got {raw!r}"
    return None


def start_problems(options) -> dict[str, str]:
    """Each runner-owned option changed since init, and each knob out of its bounds or choices."""
    current = vars(options)
    problems = {name: f"{name} is set by the runner only, not from the web UI (it changed to {current[name]!r})"
                for name in RUNNER_OWNED if name in _snapshot and current.get(name) != _snapshot[name]}
    for name in _knobs:  # None: never set (the form would have set a string)
        if current.get(name) is not None and (why := knob_problem(name, str(current[name]))):
            problems[name] = why
    return problems


def set_by_runner(environment, name: str, value) -> None:
    """The lab sets a runner-owned option for the run; the copy follows, so that the next start
    does not take the lab's own value for a form's."""
    setattr(environment.parsed_options, name, value)
    _snapshot[name] = value


@events.init.add_listener
def _take_copy(environment, **kwargs):
    if environment.parsed_options is None or _parser is None:
        return
    _snapshot.update(copy.deepcopy(vars(environment.parsed_options)))
    locust_own = default_args_dict()
    _knobs.update({dest: a for dest, a in _parser.args_included_in_web_ui.items() if dest not in locust_own})
    if environment.web_ui:
        _guard_the_form(environment, environment.web_ui)


@events.test_start.add_listener
def _refuse_a_tampered_start(environment, **kwargs):
    if environment.parsed_options is None or isinstance(environment.runner, WorkerRunner):
        return
    problems = start_problems(environment.parsed_options)
    if problems:
        for name in problems:  # the next start begins from the command line's values again
            if name in _snapshot:
                setattr(environment.parsed_options, name, _snapshot[name])
        raise StopTest("lab: the test was not started: " + "; ".join(problems.values()))


def _guard_the_form(environment, web_ui) -> None:
    from flask import jsonify, request

    def refusal(message: str):
        # Locust's own shape for a refused /swarm: its form shows "message" as the error.
        log.error("lab: %s", message)
        return jsonify({"success": False, "message": f"lab: {message}", "host": environment.host})

    def check_swarm():
        problems = [why for name, raw in request.form.items(multi=True) if (why := knob_problem(name, raw))]
        return refusal("the test was not started: " + "; ".join(problems)) if problems else None

    @web_ui.app.before_request
    def _check_post():
        if request.method != "POST":
            return None
        origin = request.headers.get("Origin")
        if request.headers.get("Sec-Fetch-Site") == "cross-site" or (origin and origin != request.host_url.rstrip("/")):
            return refusal(f"a POST from another origin ({origin or 'cross-site'}) is refused"), 403
        if request.endpoint == "locust.swarm":
            return web_ui.auth_required_if_enabled(check_swarm)()
        return None
