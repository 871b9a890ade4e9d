"""No output averages an email's hours or a social post's minutes with a call's seconds.

The default centre has live channels (phone 80% in 20 s, chat 80% in 60 s) and two deferrable ones
(email 90% in 4 h; social 80% in 30 min, ``deferrable: true`` set explicitly since its threshold is
under the hour of the automatic rule). Every table a user reads — ``summary.csv``, ``intervals.csv``, ``days.csv``, a
sweep's ``sweep.csv``, an option study's ``kpis.csv`` and ``options.csv``, the printed KPI table —
gives its waits and service level per channel, or over the live channels together (``live``),
never over the whole centre (``all``). The ``live`` row is checked against its parts: its volumes
are phone's plus chat's, and its ASA is their answered-weighted mean (hand-computed here).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.model.metrics import WAIT_METRICS
from sim.study import load_study_file, run_study

from .conftest import REPO


def _assert_no_mixed_waits(table: pd.DataFrame, where: str) -> None:
    waits = table[table["metric"].isin(WAIT_METRICS)]
    mixed = waits[(waits["channel"] == "all") & waits["mean" if "mean" in waits.columns else "option_mean"].notna()]
    assert mixed.empty, f"{where}: whole-centre waits mixing email with calls: {sorted(set(mixed['metric']))}"
    assert {"phone", "chat", "email", "social", "live"} <= set(waits["channel"]), f"{where}: waits per channel and live"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "default"
    proc = _run(["run.replications=3", "run.days=2", "run.figures=false", f"hydra.run.dir={out}"], REPO)
    return out, proc.stdout


def test_summary_intervals_and_days_give_waits_per_channel_and_over_live_channels_only(default_run):
    out, _ = default_run
    summary = pd.read_csv(out / "summary.csv")
    _assert_no_mixed_waits(summary, "summary.csv")
    intervals = pd.read_csv(out / "intervals.csv")
    centre = intervals[intervals["channel"] == "all"]
    for metric in ("service_level", "asa_s", "abandon_rate"):
        assert centre[metric].isna().all(), f"intervals.csv: all {metric}"
        assert intervals.loc[intervals["channel"] == "live", metric].notna().any()
    _assert_no_mixed_waits(pd.read_csv(out / "days.csv"), "days.csv")


def test_the_live_row_is_phone_and_chat_together_without_email_or_social(default_run):
    out, _ = default_run
    reps = pd.read_csv(out / "replications.csv")
    cell = reps.set_index(["replication", "channel", "metric"])["value"]
    for r in sorted(set(reps["replication"])):
        for metric in ("offered", "answered", "abandoned"):
            assert cell[(r, "live", metric)] == cell[(r, "phone", metric)] + cell[(r, "chat", metric)]
        answered = {ch: cell[(r, ch, "answered")] for ch in ("phone", "chat")}
        asa = sum(cell[(r, ch, "asa_s")] * n for ch, n in answered.items()) / sum(answered.values())
        assert cell[(r, "live", "asa_s")] == pytest.approx(asa, rel=1e-9)
        assert cell[(r, "email", "asa_s")] > 10 * cell[(r, "live", "asa_s")], "email waits are another scale"
        assert cell[(r, "social", "asa_s")] > 3 * cell[(r, "live", "asa_s")], "so are social posts' waits"


def test_the_printed_table_shows_email_waits_in_hours_social_in_minutes_and_no_whole_centre_wait(default_run):
    _, stdout = default_run
    lines = stdout.splitlines()
    header = next(line for line in lines if line.startswith("KPI (mean"))
    assert header.split()[-6:] == ["phone", "chat", "email", "social", "live", "all"]
    asa = next(line for line in lines if line.startswith("asa_s"))
    assert re.search(r"\d h (±|\[)", asa) and asa.rstrip().endswith("-"), asa  # hours, ± or bounds cut at 0
    assert re.search(r"\d min (±|\[)", asa), asa  # social's target is in minutes, so are its waits


def test_a_sweep_over_the_default_centre_never_mixes_waits(tmp_path):
    sweep = tmp_path / "sweep"
    _run(["-m", "scenario.agent_groups.generalists.staffing_delta=0,2", "run.replications=2",
          f"hydra.sweep.dir={sweep}"], REPO)
    _assert_no_mixed_waits(pd.read_csv(sweep / "sweep.csv"), "sweep.csv")


def test_an_option_study_never_mixes_waits(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("replications: 2\nbaseline: [run.horizon_hours=4]\noptions:\n"
                    "  more: [scenario.agent_groups.generalists.staffing_delta=2]\n", encoding="utf-8")
    run_study(load_study_file(str(path)), tmp_path / "out", report=False, echo=lambda line: None)
    _assert_no_mixed_waits(pd.read_csv(tmp_path / "out" / "kpis.csv"), "kpis.csv")
    options = pd.read_csv(tmp_path / "out" / "options.csv")
    _assert_no_mixed_waits(options, "options.csv")
    assert not math.isnan(options.set_index(["channel", "metric"]).loc[("live", "asa_s"), "difference"])
