"""The speed benchmark (experiments/benchmark.py) runs end to end at a small size.

No timing assertions: only that each engine simulated about the expected number
of contacts and that the reported numbers are well formed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

import ciw  # noqa: F401  (a declared test dependency: fail loudly if missing)

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("contact_centre_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def small(bench):
    p = bench.params_from(contacts=2_000, seed=7)
    return p, bench.benchmark(p, repeats=1)


def test_parameters_match_the_brief(bench):
    p = bench.params_from()
    assert (p.contacts, p.agents, p.rho, p.mean_handle_s) == (200_000, 50, 0.9, 300.0)
    assert p.arrival_rate_per_hour == pytest.approx(540.0)
    assert p.expected_contacts == pytest.approx(200_000)


def test_every_engine_processes_about_the_expected_contacts(small):
    p, out = small
    # Poisson arrivals: 5 sd, plus the few still in the system at the horizon (Ciw counts completions only).
    tolerance = 5 * math.sqrt(p.expected_contacts) + 2 * p.agents
    assert set(out["runs"]) == {"sim", "ciw", "simpy"}
    for name, runs in out["runs"].items():
        assert len(runs) == 1
        n = runs[0]["contacts"]
        assert abs(n - p.expected_contacts) <= tolerance, f"{name}: {n} contacts, expected ~{p.expected_contacts:.0f}"
        assert 0.0 <= runs[0]["service_level"] <= 1.0, name
        assert runs[0]["mean_wait_s"] >= 0.0, name


def test_rates_and_ratios_are_positive_and_finite(small):
    _, out = small
    for name, rate in out["median_contacts_per_s"].items():
        assert math.isfinite(rate) and rate > 0, name
    assert set(out["ratios"]) == {"sim/ciw", "sim/simpy"}
    for key, value in out["ratios"].items():
        assert math.isfinite(value) and value > 0, key
    assert out["peak_rss_mb"] > 0


def test_report_and_json(bench, small, tmp_path):
    _, out = small
    text = bench.format_report(out)
    for word in ("sim", "ciw", "simpy", "ratio sim/ciw", "ratio sim/simpy", "peak RSS"):
        assert word in text
    if out["erlang_c"] is not None:
        assert "Erlang C" in text
    path = tmp_path / "bench.json"
    result = bench.main(["--contacts", "500", "--repeats", "1", "--peers-only", "--json", str(path)])
    saved = json.loads(path.read_text())
    assert saved["params"]["contacts"] == 500
    assert saved["ratios"].keys() == result["ratios"].keys()


def test_bad_parameters_are_refused(bench):
    with pytest.raises(ValueError):
        bench.params_from(rho=1.0)
    with pytest.raises(SystemExit):
        bench.main(["--contacts", "0"])


def test_scaling_measurements_run_small_and_report_identical_parallel_results():
    sys.path.insert(0, str(SCRIPT.parent))
    import scaling

    parallel = scaling.parallel_speedup(contacts=2_000, replications=4, repeats=1)
    assert parallel["identical_results"] is True
    assert parallel["speedup"] > 0
    memory = scaling.memory(sizes=(5_000,), log_size=5_000)
    assert [m["log"] for m in memory] == [False, True]
    for m in memory:
        assert abs(m["contacts"] - 5_000) < 5 * 5_000 ** 0.5 + 100
        assert m["peak_mb"] >= m["import_mb"] > 0
    text = scaling.format_report({"parallel": parallel, "memory": memory})
    assert "speed-up" in text and "peak RSS" in text


def test_overload_measurement_reports_the_cost_per_contact_of_a_growing_queue():
    sys.path.insert(0, str(SCRIPT.parent))
    import scaling

    out = scaling.overload_cost(hours=20.0, interval_minutes=15.0, repeats=1)
    assert out["us_per_contact_stable"] > 0 and out["us_per_contact_overloaded"] > 0
    assert out["ratio"] == out["us_per_contact_overloaded"] / out["us_per_contact_stable"]
    assert "overload: 20 h in 15-minute intervals" in scaling.format_report({"overload": out})
