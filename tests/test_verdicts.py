"""Verdict functions fed stored synthetic results: each outcome, the noise rule, and the
exclusion of invalid steps."""
from __future__ import annotations

import pytest

from bench.models import Run
from dashboard.verdicts import INCONCLUSIVE, PARTLY, REFUTED, SUPPORTED, VERDICTS
from tests.synthetic import V, endpoint, make_run, only, sample



@pytest.fixture(autouse=True)
def forget_synthetic_runs():
    """Synthetic runs exist for one test only: the dashboard tests must not see them."""
    yield
    Run.objects.filter(suite="synthetic").delete()


def c1(one: list[float], four: list[float]):
    return make_run("c1-workers-one-core-ping", {
        "uvicorn 1w": [V({"ping": endpoint(r, 20)}) for r in one],
        "uvicorn 4w": [V({"ping": endpoint(r, 30)}, deployment={"server": "uvicorn", "workers": 4}) for r in four],
    })


@pytest.mark.parametrize("one,four,expected", [
    ([1000], [700], SUPPORTED),
    ([1000], [880], PARTLY),
    ([1000], [1050], REFUTED),
    ([1000, 800, 1200], [950, 1150, 850], INCONCLUSIVE),  # 5 % apart, repeats spread 400
    ([1000, 990, 1010], [700, 690, 710], SUPPORTED),  # same gap, tight repeats: beyond the noise
])
def test_c1_outcomes(one, four, expected):
    run = c1(one, four)
    verdict = VERDICTS["C1"](only(run))
    assert verdict.verdict == expected, verdict.why
    assert verdict.rule and verdict.figures and verdict.run_id == run.id


def test_no_data_is_inconclusive_and_says_which_suite_to_run():
    verdict = VERDICTS["C1"](only())
    assert verdict.verdict == INCONCLUSIVE and "bench --suite quick --only C1" in verdict.needs


def test_invalid_steps_are_excluded():
    run = make_run("c1-workers-one-core-ping", {
        "uvicorn 1w": V({"ping": endpoint(1000, 20)}),
        "uvicorn 4w": V({"ping": endpoint(100, 30)}, valid=False),  # would say "supported" if used
    })
    verdict = VERDICTS["C1"](only(run))
    assert verdict.verdict == INCONCLUSIVE and "lacks" in verdict.why


def c3(blocking_probe: float, fix_probe: float, blocking_rps: float = 19.5):
    params = {"ms": 50}
    return make_run("c3-blocking-in-async", {
        f"uvicorn 1w {e}": V({e: endpoint(rps, 60), "probe": endpoint(5, probe)}, params={**params, "endpoint": e})
        for e, rps, probe in (("io/blocking", blocking_rps, blocking_probe), ("io/sleep", 150, fix_probe),
                              ("io/threadpool", 120, fix_probe), ("io/background", 900, fix_probe))
    })


@pytest.mark.parametrize("blocking_probe,fix_probe,rps,expected", [
    (400, 5, 19.5, SUPPORTED),
    (400, 60, 19.5, PARTLY),  # under a fix the probe still waited out a whole blocking call
    (400, 5, 60, PARTLY),  # throughput is not workers x 1000/ms
    (20, 5, 19.5, REFUTED),  # the probe never waited a whole blocking call
])
def test_c3_outcomes(blocking_probe, fix_probe, rps, expected):
    assert VERDICTS["C3"](only(c3(blocking_probe, fix_probe, rps))).verdict == expected


def whoami_obs(pairs: list[tuple[int, int, bool]], prefix: str = "/api") -> dict:
    return {prefix: {"samples": 100, "answered": 100, "contexts": [
        {"pid": pid, "loop_id": loop, "loop_class": "uvloop.Loop" if loop else None, "is_main_thread": main,
         "view": "async", "interface": "asgi", "thread_names": ["MainThread"], "count": 10}
        for pid, loop, main in pairs]}}


@pytest.mark.parametrize("pairs,expected", [
    ([(1, 11, True), (2, 22, True), (3, 33, True)], SUPPORTED),
    ([(1, 11, True), (1, 12, True), (2, 22, True), (3, 33, True)], REFUTED),  # two loops in one process
    ([(1, 11, True), (2, 22, False), (3, 33, True)], REFUTED),  # off the main thread
    ([(1, 11, True), (2, 22, True)], INCONCLUSIVE),  # a worker never answered
])
def test_c4_outcomes(pairs, expected):
    run = make_run("c4-loops-per-worker", {"uvicorn 3w": V({"whoami": endpoint(1000, 5)},
                                                           deployment={"server": "uvicorn", "workers": 3},
                                                           observations=whoami_obs(pairs))})
    assert VERDICTS["C4"](only(run)).verdict == expected


def c5(sleep_lag: float, blocking_lag: float):
    return make_run("c5-event-loop-lag", {
        "uvicorn 1w io/sleep": V({"io/sleep": endpoint(90, 110)}, params={"endpoint": "io/sleep", "ms": 100},
                                 samples=[sample(t=t, loop_lag_ms={"7": sleep_lag}) for t in (1, 1.5, 2)]),
        "uvicorn 1w io/blocking": V({"io/blocking": endpoint(10, 900)}, params={"endpoint": "io/blocking", "ms": 100},
                                    samples=[sample(t=t, loop_lag_ms={"7": blocking_lag}) for t in (1, 1.5, 2)]),
    })


@pytest.mark.parametrize("sleep_lag,blocking_lag,expected", [
    (1.0, 300.0, SUPPORTED), (40.0, 300.0, PARTLY), (1.0, 3.0, REFUTED)])
def test_c5_outcomes(sleep_lag, blocking_lag, expected):
    assert VERDICTS["C5"](only(c5(sleep_lag, blocking_lag))).verdict == expected


@pytest.mark.parametrize("threads_probe,inline_probe,expected", [
    (10, 100, SUPPORTED), (70, 100, PARTLY), (120, 100, REFUTED)])
def test_c2_outcomes(threads_probe, inline_probe, expected):
    run = make_run("c2-preemption-probe", {
        "gthread sync cpu": V({"cpu": endpoint(70, 150), "probe": endpoint(5, threads_probe)}),
        "uvicorn async cpu inline": V({"cpu": endpoint(70, 120, fastest=80), "probe": endpoint(5, inline_probe)}),
    })
    assert VERDICTS["C2"](only(run)).verdict == expected


def c6(json_p50: float, orjson_p50: float, inline_probe: float, uss_buffer: int, failures: int = 0):
    mib = 2**20
    return make_run("c6-big-bodies", {
        "upload buffer": V({"upload": endpoint(100, 40, failures=failures)}, samples=[sample(uss_bytes=uss_buffer * mib)]),
        "upload stream": V({"upload": endpoint(100, 40)}, samples=[sample(uss_bytes=50 * mib)]),
        "json json inline": V({"json": endpoint(20, 200, p50=json_p50), "probe": endpoint(5, 80)}),
        "json orjson inline": V({"json": endpoint(25, 150, p50=orjson_p50), "probe": endpoint(5, inline_probe)}),
        "json orjson offloaded": V({"json": endpoint(25, 150, p50=orjson_p50), "probe": endpoint(5, 20)}),
    })


@pytest.mark.parametrize("json_p50,orjson_p50,inline_probe,uss_buffer,failures,expected", [
    (100, 50, 80, 80, 0, SUPPORTED),
    (100, 95, 80, 50, 0, PARTLY),  # only the offload part holds
    (100, 95, 20, 50, 0, REFUTED),  # nothing holds
    (100, 50, 80, 80, 3, REFUTED),  # bodies failed
])
def test_c6_outcomes(json_p50, orjson_p50, inline_probe, uss_buffer, failures, expected):
    assert VERDICTS["C6"](only(c6(json_p50, orjson_p50, inline_probe, uss_buffer, failures))).verdict == expected


def test_c7_and_c9():
    obs = {**whoami_obs([(1, 11, True)], "/async"),
           "/sync": {"contexts": [{"pid": 1, "loop_id": None, "loop_class": None, "is_main_thread": False,
                                   "view": "sync", "interface": "asgi", "thread_names": ["T1"], "count": 10}]}}
    c7 = make_run("c7-who-runs-the-view", {"uvicorn 2w": V({"async whoami": endpoint(300, 10)}, observations=obs)})
    c4 = make_run("c4-loops-per-worker", {"uvicorn 1w": V({"whoami": endpoint(1000, 5)},
                                                          observations=whoami_obs([(1, 11, True)]))})
    assert VERDICTS["C7"](only(c7)).verdict == SUPPORTED
    assert VERDICTS["C9"](only(c7, c4)).verdict == SUPPORTED
    obs["/sync"]["contexts"][0]["is_main_thread"] = True
    c7_bad = make_run("c7-who-runs-the-view", {"uvicorn 2w": V({"async whoami": endpoint(300, 10)}, observations=obs)})
    assert VERDICTS["C7"](only(c7_bad)).verdict == REFUTED
    assert VERDICTS["C9"](only(c7_bad, c4)).verdict == REFUTED


def c8(loop_rps: float, uss_per_thread_mib: float):
    mib = 2**20
    gthread = {"server": "gunicorn", "workers": 2, "threads": 8}
    return make_run("c8-many-slow-requests", {
        "gthread 2w x 8t": V({"io/sleep": endpoint(158, 1500)}, deployment=gthread, params={"ms": 100},
                             samples=[sample(threads=20, uss_bytes=60 * mib, vms_bytes=400 * mib)]),
        "gthread 2w x 64t": V({"io/sleep": endpoint(1200, 200)}, deployment={**gthread, "threads": 64},
                              params={"ms": 100},
                              samples=[sample(threads=132, uss_bytes=int((60 + 112 * uss_per_thread_mib) * mib),
                                              vms_bytes=(400 + 112 * 8) * mib)]),
        "uvicorn 1w": V({"io/sleep": endpoint(loop_rps, 240)}, params={"ms": 100}),
    })


@pytest.mark.parametrize("loop_rps,uss_mib,expected", [
    (1200, 8.0, SUPPORTED), (1200, 0.1, PARTLY), (170, 0.1, REFUTED)])
def test_c8_outcomes(loop_rps, uss_mib, expected):
    verdict = VERDICTS["C8"](only(c8(loop_rps, uss_mib)))
    assert verdict.verdict == expected, verdict.why
    assert any("virtual" in label for label, _ in verdict.figures)
