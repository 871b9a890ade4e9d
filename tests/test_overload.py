"""Overload: time integrals at a cost that does not grow with a wait's length, and the load check.

A queue that grows without bound makes waits span thousands of intervals. The queue-length and busy
integrals must still be split exactly at interval bounds (checked by hand on a trace, and against a
plain walk over the segments for random spans), and the run must say that its load exceeds the
agents able to take it (:mod:`sim.model.capacity`), or that a contact type arrives when nobody on
duty can serve it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import run_experiment, single_queue_scenario
from sim.engine.tallies import TallyModel
from sim.experiments.replications import WARNINGS, format_summary, write_tables
from sim.model.capacity import able_groups, replication_load
from sim.model.centre import simulate

from .test_golden_outputs import _config
from .test_model import _write_trace
from .conftest import resolved


# --------------------------------------------------------------- exact integrals


def test_a_wait_across_many_intervals_adds_exactly_its_share_to_each(tmp_path):
    # one agent busy 0-10,000 s with A; B arrives at 100 s and waits until 10,000 s, then takes 10 s:
    # B waits 3,500 s in hour 0, 3,600 s in hour 1, 2,800 s in hour 2 (by hand)
    trace = _write_trace(tmp_path / "t.csv", [(0, "calls", 10_000, None), (100, "calls", 10, None)])
    scenario = single_queue_scenario(1.0, 1.0, 1, horizon_s=4 * 3600.0, trace=trace)
    seg = simulate(scenario, resolved(scenario).run, 0).segments
    assert seg.bounds_s[:5].tolist() == [0.0, 3600.0, 7200.0, 10800.0, 14400.0]
    assert seg.queue_area[:4, 0].tolist() == [3500.0, 3600.0, 2800.0, 0.0]
    assert seg.busy_area[:4, 0].tolist() == [3600.0, 3600.0, 2810.0, 0.0]


class _Spans(TallyModel):
    def __init__(self, ends):
        self.ends = list(ends) + [math.inf]
        self.whole_spans = {}


def _walk(ends, t0, t1):
    """Each segment's part of [t0, t1), segment by segment (the plain method, for reference)."""
    out, start = [0.0] * len(ends), 0.0
    for k, end in enumerate(ends):
        out[k] = max(0.0, min(t1, end) - max(t0, start))
        start = end
    return out


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.floats(0.5, 5000.0), min_size=1, max_size=60),
       spans=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=20))
def test_spans_split_at_segment_bounds_as_a_plain_walk_does(lengths, spans):
    bounds = np.cumsum(lengths).tolist()
    model = _Spans(bounds)
    area = [0.0] * (len(model.ends) * 2)
    expected = [0.0] * len(model.ends)
    horizon = bounds[-1] * 1.1
    for a, b in spans:
        t0, t1 = sorted((a * horizon, b * horizon))
        model.add_span(area, 2, 1, t0, t1)
        for k, v in enumerate(_walk(model.ends, t0, t1)):
            expected[k] += v
    model._fold_spans()
    assert area[0::2] == [0.0] * len(model.ends), "the other index is untouched"
    assert area[1::2] == pytest.approx(expected, rel=1e-12, abs=1e-9)


# --------------------------------------------------------------- the load check


def test_work_offered_per_interval_is_the_handle_time_of_the_contacts_offered(tmp_path):
    # hour 0: three contacts of 100, 200 and 300 s; hour 1: one of 50 s; two agents on duty all along
    trace = _write_trace(tmp_path / "t.csv", [(10, "calls", 100, None), (20, "calls", 200, None),
                                              (30, "calls", 300, None), (4000, "calls", 50, None)])
    scenario = single_queue_scenario(1.0, 1.0, 2, horizon_s=3 * 3600.0, trace=trace)
    config = resolved(scenario)
    load = replication_load(simulate(scenario, config.run, 0), scenario, config.run)
    assert [row[0] for row in load["work"]] == [600.0, 50.0, 0.0]
    assert [row[0] for row in load["capacity"]] == [7200.0, 7200.0, 7200.0]


def _single_queue(rate, hours=8):
    scenario = single_queue_scenario(rate, 180.0, 12, horizon_s=hours * 3600.0)
    return resolved(scenario, replications=3, seed=5)


def test_an_overloaded_queue_is_told_its_load_exceeds_the_agents_and_a_stable_one_is_not():
    stable, overloaded = run_experiment(_single_queue(200)), run_experiment(_single_queue(300))  # 10 and 15 erlangs
    assert stable.warnings == ()
    (text,) = overloaded.warnings
    assert text.startswith("offered load exceeds the agents able to take it in 8 intervals")
    erlangs = float(text.split("worst at ")[1].split(", ")[1].split(" erlangs")[0])
    assert 12.0 < erlangs < 20.0, text  # 15 offered on average; the worst hour of three replications
    assert "offered to 12.0 agents on duty (agents); in those intervals the queue can only grow" in text


def test_a_contact_type_nobody_on_duty_can_take_is_named():
    result = run_experiment(_config(["scenario.agent_groups.specialists.staffing=0", "run.replications=2"]))
    assert any(w.startswith("contacts of type 'technical_tier2' arrive when no agent on duty can take them")
               and w.endswith("agents able: specialists") for w in result.warnings), result.warnings


def test_overflow_groups_count_among_the_agents_able_to_take_a_type():
    plain = able_groups(_config([]).scenario)
    assert plain["technical_tier2"] == ("specialists",)
    assert plain["billing_chat"] == ("generalists", "chat_team")
    overflowing = able_groups(_config(["+scenario.contact_types.technical_tier2.overflow={after_s: 60, "
                                       "groups: [tech_support]}"]).scenario)
    assert overflowing["technical_tier2"] == ("specialists", "tech_support")


def test_the_default_centre_passes_the_load_check():
    assert run_experiment(_config(["run.replications=2"])).warnings == ()


def test_warnings_are_printed_under_the_table_and_kept_in_the_run_folder(tmp_path):
    result = run_experiment(_single_queue(300, hours=2))
    text = format_summary(result.summary, 0.95, warnings=result.warnings)
    assert text.splitlines()[-1] == f"warning: {result.warnings[0]}"
    write_tables(result, tmp_path)
    assert (tmp_path / WARNINGS).read_text(encoding="utf-8") == result.warnings[0] + "\n"
    write_tables(run_experiment(_single_queue(200, hours=2)), tmp_path)  # the same folder, run again: no warning
    assert not (tmp_path / WARNINGS).exists()


def test_the_run_page_shows_the_load_warnings_of_its_folder(tmp_path):
    from sim import write_outputs
    from sim.reporting.document import Paragraph
    from sim.reporting.run_page import load_run, run_page

    result = run_experiment(_single_queue(300, hours=2))
    write_outputs(result, tmp_path, figures=False)
    page = run_page(load_run(tmp_path))
    shown = [b.text for b in page.blocks if isinstance(b, Paragraph) and b.kind == "warning"]
    assert shown == [f"Warning: O{result.warnings[0][1:]}."]


def test_the_command_prints_the_warning_once_under_the_table_and_logs_it(tmp_path):
    import subprocess
    import sys

    from .conftest import REPO

    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "scenario=single_queue", "scenario.arrival_rate_per_hour=300",
                           "run.replications=2", "run.horizon_hours=3", "run.figures=false", f"hydra.run.dir={out}"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    warned = [line for line in lines if "offered load exceeds the agents able to take it" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: ") and lines.index(warned[0]) == len(lines) - 2
    assert "offered load" not in proc.stderr
    log = (out / "sim.log").read_text(encoding="utf-8")
    assert "[sim][WARNING]" in log and warned[0].removeprefix("warning: ") in log
