"""The ladders page's tables built from evidence in memory (``judging.ladders``: each table takes
the evidence its shell, ``dashboard.ladders``, read): CPU per request per rung, the stacked split
from the hop-instrumented twin, the database ladder, the tweaks' gains against the same run's
as-shipped cells, what each table says is missing, and the rows the downloads carry."""
from __future__ import annotations

import pytest

from bench import ladders as L
from judging import ladders as D
from tests.unit.evidence_builder import V, endpoint, evidence, new_run, sample

ASGI = {"server": "uvicorn", "workers": 1, "threads": None, "interface": "asgi"}
HOPS_TIMING = {"s2a_n": 2, "s2a_dispatch": 0.05, "s2a_return": 0.05, "a2s_n": 0, "a2s_dispatch": 0.0,
               "a2s_return": 0.0, "signals": 0.1, "app": 0.5}


def saturated(rps: float, cpu: float, name: str = "ping") -> V:
    return V({name: endpoint(rps, 5.0)}, deployment=ASGI, samples=[sample(cpu_percent=cpu)] * 3,
             users=L.SATURATION_USERS)


def timed(rps: float, p99: float, timing: dict) -> dict:
    e = endpoint(rps, p99)
    e["server_timing"] = {k: {"count": 40, "sum_ms": 40 * v, "p50": v, "p99": v} for k, v in timing.items()}
    return e


def row(table, rung):
    return next(r for r in table.rows if r.rung == rung.name)


def test_cpu_per_request_is_the_servers_cpu_over_the_requests_it_served_and_unsplit_without_a_twin():
    sat = evidence(L.TAX_SATURATION, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0)})
    table = D.tax_table(L.PING, sat, None)
    django = row(table, L.DJANGO_ASYNC)
    assert django.cpu_us.median == pytest.approx(600.0)  # 60 % of a core / 1,000 requests/s
    assert (django.rps.median, django.server_cpu.median) == (1000, 60.0)
    assert django.parts == {D.PARTS[3]: pytest.approx(600.0)}  # no hop data: shown whole, "not split"
    assert table.saturation_run == sat.run.id and table.rate_run is None
    assert table.needs == [D.NEEDS_LADDERS] and table.rate == L.TAX_AT_RATE[L.PING].rates[0]
    assert {r.rung for r in table.rows} == {r.name for r in L.RUNGS if L.serves(r, L.PING)}
    assert D.tax_table(L.PING, None, None).needs == [D.NEEDS_QUICK, D.NEEDS_LADDERS]
    assert D.tax_table(L.DB_ORM, None, None).needs == [D.NEEDS_LADDERS]  # the quick suite saturates ping only


def test_the_split_comes_from_the_instrumented_twin_and_adds_up_to_the_total():
    run = new_run()
    sat = evidence(L.TAX_SATURATION, {L.tax_variant(L.DJANGO_ASYNC, L.PING): saturated(1000, 60.0),
                                      L.tax_variant(L.BARE, L.PING): saturated(10000, 90.0)}, run)
    paced = evidence(L.TAX_RATE_PING, {
        L.tax_variant(L.DJANGO_ASYNC, L.PING): V({"ping": endpoint(300, 4.0)}, deployment=ASGI,
                                                 samples=[sample(cpu_percent=20.0)], users=1),
        L.tax_variant(L.DJANGO_ASYNC, L.PING, hops=True): V({"ping": timed(300, 4.0, HOPS_TIMING)},
                                                            deployment=ASGI, samples=[sample(cpu_percent=30.0)],
                                                            users=1)}, run)
    table = D.tax_table(L.PING, sat, paced)
    django = row(table, L.DJANGO_ASYNC)
    hops, signals, rest = (django.parts[p] for p in D.PARTS[:3])
    assert hops == pytest.approx(0.20 * 600) and signals == pytest.approx(0.10 * 600)
    assert hops + signals + rest == pytest.approx(600.0)
    assert django.hops.median == 2 and django.p99_at_rate.median == 4.0
    shown = [(f.label, f.text()) for f in (django.cpu_us, django.server_cpu, django.rps, django.p99_at_rate,
                                           django.hops)]
    assert shown == [("CPU per request", "600 µs"), ("server CPU", "60 %"), ("RPS", "1,000"), ("p99", "4.0 ms"),
                     ("hops", "2.0")]
    bare = row(table, L.BARE)
    assert bare.parts == {D.PARTS[2]: pytest.approx(90.0)} and bare.hops.text() == "none: no Django, no bridge"
    assert bare.hops.label == "hops" and table.endpoint == L.endpoint_of(L.PING)
    assert table.needs == [D.NEEDS_LADDERS]  # rungs left unmeasured: the ladders suite measures them
    assert table.rate_run == paced.run.id and table.has_chart
    chart = table.chart
    assert chart["stacked"] and chart["labels"] == [r.rung for r in table.rows if r.parts]
    for i, label in enumerate(chart["labels"]):
        total = next(r for r in table.rows if r.rung == label).cpu_us.median
        assert sum(d["data"][i] or 0 for d in chart["datasets"]) == pytest.approx(total)
    assert table.chart_id == "ladder-ping"
    rows = D.tax_rows([table])
    mine = next(r for r in rows if r["rung"] == L.DJANGO_ASYNC.name)
    assert mine == {"workload": L.PING, "rung": L.DJANGO_ASYNC.name, "cpu_us_per_request": pytest.approx(600.0),
                    "server_cpu_percent": 60.0, "rps": 1000, "rate": table.rate, "p99_ms_at_rate": 4.0,
                    "hops_per_request": 2, "hop crossings µs": pytest.approx(120.0), "signals µs": pytest.approx(60.0),
                    "rest µs": pytest.approx(420.0), "not split (no hop data) µs": None, "repeats": 1,
                    "saturation_run": sat.run.id, "rate_run": paced.run.id}


def test_the_database_ladder_and_what_the_c8_card_borrows_from_it():
    db = evidence(L.DB_LADDER, {
        L.db_variant(L.ASYNC_ORM, "db/read"): V({"db/read": endpoint(500, 40.0), "probe": endpoint(10, 30.0)},
                                                deployment=ASGI, samples=[sample(cpu_percent=51.0,
                                                                                 loop_lag_ms={"1": 4.0})]),
        L.db_variant(L.NATIVE_ASYNC, "db/read"): V({"db/read": endpoint(990, 20.0), "probe": endpoint(10, 5.0)},
                                                   deployment=ASGI, samples=[sample(cpu_percent=50.0)])})
    hops = evidence(L.DB_LADDER_HOPS, {
        L.db_variant(L.ASYNC_ORM, "db/read", hops=True): V({"db/read": timed(400, 10.0, {**HOPS_TIMING, "s2a_n": 3})},
                                                           deployment=ASGI, samples=[sample(cpu_percent=40.0)])})
    table = D.db_table("db/read", db, hops)
    orm = next(r for r in table.rows if r.path == L.ASYNC_ORM.name)
    assert orm.cpu_us.median == pytest.approx(1000.0)  # 51 % / (500 + 10 probe) requests/s
    assert (orm.rps.median, orm.p99.median, orm.probe_p99.median, orm.loop_lag.median) == (500, 40.0, 30.0, 4.0)
    assert orm.hops.median == 3 and orm.driver == L.ASYNC_ORM.driver
    shown = [(f.label, f.text()) for f in (orm.rps, orm.p99, orm.probe_p99, orm.loop_lag, orm.cpu_us, orm.hops)]
    assert shown == [("RPS", "500"), ("p99", "40.0 ms"), ("probe p99", "30.0 ms"), ("loop lag", "4.0 ms"),
                     ("CPU per request", "1,000 µs"), ("hops", "3.0")]
    assert [r.path for r in table.rows] == [p.name for p in L.DB_PATHS] and table.endpoint == "db/read"
    assert (table.run, table.hops_run, table.needs) == (db.run.id, hops.run.id, [])
    assert D.db_table("db/read", db, None).needs == [D.NEEDS_LADDERS]
    figures = {f.label: f for f in D.async_orm_cost_figures([table, D.db_table("db/queries", None, None)])}
    where = f"DB ladder (run #{db.run.id}) db/read"
    assert figures[f"{where}: async ORM / raw psycopg async, CPU per request"].median == pytest.approx(2.0)
    assert figures[f"{where}, {L.ASYNC_ORM.name}: hops per request"].median == 3
    assert [f.text() for f in figures.values() if L.ASYNC_ORM.name in f.label] == ["1,000 µs", "3.0"]
    assert figures[f"{where}: async ORM / raw psycopg async, CPU per request"].text() == "2.00x"
    assert len(figures) == 1 + 2 * len(D.ASYNC_PATHS)  # the table without a run adds nothing
    by_path = {r["path"]: r for r in D.db_rows([table])}
    assert by_path[L.ASYNC_ORM.name] == {
        "endpoint": "db/read", "path": L.ASYNC_ORM.name, "driver": L.ASYNC_ORM.driver, "rps": 500, "p99_ms": 40.0,
        "probe_p99_ms": 30.0, "loop_lag_ms": 4.0, "cpu_us_per_request": pytest.approx(1000.0),
        "hops_per_request": 3, "repeats": 1, "run": db.run.id, "hops_run": hops.run.id}


def test_a_tweaks_gain_is_against_the_as_shipped_cell_of_its_own_run():
    rung, workload = L.DJANGO_ASYNC, L.PING
    tweaked = L.tweak_variant(L.REUSE_THREAD, rung, workload)
    run = new_run()
    ev = evidence(L.TWEAK_LADDER, {tweaked: saturated(1500, 60.0)}, run)
    alone = D.tweak_table(ev, None)
    mine = lambda t: next(r for r in t.rows if r.tweak == L.REUSE_THREAD.name  # noqa: E731
                          and r.rung == rung.name and r.workload == workload)
    assert mine(alone).rps_gain_pct is None and mine(alone).cpu_saving_pct is None  # no baseline
    shipped = evidence(L.TAX_SATURATION, {L.tax_variant(rung, workload): saturated(1000, 60.0)}, run)
    table = D.tweak_table(ev, shipped)
    assert mine(table).rps_gain_pct == pytest.approx(50.0) and mine(table).cpu_saving_pct == pytest.approx(100 / 3)
    assert table.run == run.id and table.needs == []
    assert [(f.label, f.text()) for f in (mine(table).rps, mine(table).cpu_us)] == [("RPS", "1,500"),
                                                                                   ("CPU per request", "400 µs")]
    assert (mine(table).rung, mine(table).workload, mine(table).tweak) == (rung.name, workload, L.REUSE_THREAD.name)
    assert D.tweak_table(None, None).needs == [D.NEEDS_LADDERS]
    mine_row = next(r for r in D.tweak_rows(table) if r["tweak"] == L.REUSE_THREAD.name
                    and r["rung"] == rung.name and r["workload"] == workload)
    assert mine_row == {"rung": rung.name, "workload": workload, "tweak": L.REUSE_THREAD.name, "rps": 1500,
                        "cpu_us_per_request": pytest.approx(400.0), "rps_gain_pct": pytest.approx(50.0),
                        "cpu_saving_pct": pytest.approx(100 / 3), "repeats": 1, "run": run.id}
