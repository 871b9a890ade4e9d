"""Calibration to a scenario, replay of logged days and the calibration command (sim.calibration)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import simulate
from sim.calibration import read_log
from sim.calibration.__main__ import main
from sim.calibration.estimate import available_agents
from sim.calibration.replay import hourly_kpis, replay_trace
from sim.calibration.scenario import calibrate, check_scenario
from sim.model.config import load_config
from sim.engine.records import ABANDONED
from sim.engine.streams import stream

from .test_calibration import AGENTS, BANK_MAPPING, REPO, SAMPLE, SIM_MAPPING, write_simulated_log

SHIPPED = REPO / "configs" / "scenario" / "anonymous_bank.yaml"


@pytest.fixture(scope="module")
def simulated_log(tmp_path_factory):
    return read_log(write_simulated_log(tmp_path_factory.mktemp("logs") / "simulated.csv"), SIM_MAPPING).table


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def test_shipped_bank_scenario_is_what_the_calibration_command_writes(tmp_path):
    code = main([str(SAMPLE), "--mapping", str(BANK_MAPPING), "--out", str(tmp_path / "out"), "--scenario-dir", str(tmp_path / "scen"), "--no-compare"])
    assert code == 0
    written = (tmp_path / "scen" / "anonymous_bank.yaml").read_text()
    assert _body(written) == _body(SHIPPED.read_text())
    assert (tmp_path / "out" / "anonymous_bank.yaml").read_text() == written
    for name in ("calibration.md", "arrivals.png", "handle_times.png", "patience.png", "staffing.png",
                 "summary.csv", "handle_time_fits.csv", "arrival_rates.csv", "patience.csv", "staffing.csv"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name


def test_shipped_bank_scenario_runs_and_matches_the_logs_volume():
    raw = yaml.safe_load(SHIPPED.read_text())
    config = load_config({"scenario": raw, "run": {"replications": 1, "figures": False}})
    assert config.scenario.open_time_s == 7 * 3600 and config.scenario.length_s == 17 * 3600
    assert set(config.scenario.contact_types) == {"PS", "NW", "NE", "TT", "IN", "PE"}
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    log = read_log(SAMPLE, BANK_MAPPING).table
    per_day = log["queue_entry_s"].between(7 * 3600, 24 * 3600, inclusive="left").sum() / log["date"].nunique()
    n = len(result.contacts)
    assert abs(n - per_day) < 4 * np.sqrt(per_day), (n, per_day)  # one Poisson day against the logged mean


def test_available_agents_counts_service_and_idle_time_while_nobody_waits():
    """One agent serves [100, 200) and [250, 300); a customer waits [210, 240); a second agent serves
    [0, 10) and [700, 710) (a gap of 690 s >= break_s: a break)."""
    day = pd.Timestamp("2024-01-01")
    rows = [  # queue_entry_s, wait_s, answer_s, end_s, outcome, agent_id
        (100, 0, 100, 200, "answered", "A"), (210, 30, 250, 300, "answered", "A"),
        (0, 0, 0, 10, "answered", "B"), (700, 0, 700, 710, "answered", "B"),
    ]
    log = pd.DataFrame(rows, columns=["queue_entry_s", "wait_s", "answer_s", "end_s", "outcome", "agent_id"])
    log = log.assign(date=day, weekday="Monday")
    table = available_agents(log, interval_minutes=15, break_s=600)
    first = table.iloc[0]
    # in service: 100 + 50 + 10 + 10 s; idle between services while nobody waits: [200, 210) and [240, 250)
    assert first["busy"] == pytest.approx(170 / 900)
    assert first["available"] == pytest.approx(190 / 900)
    assert table["available"].iloc[1:].sum() == 0


def test_replay_of_a_simulated_log_reproduces_every_wait_exactly(simulated_log, tmp_path):
    """Observed patience of abandoners and censored patience of answered contacts leave every fate
    unchanged: with the same staffing and FCFS, the replay gives the log's waits and outcomes."""
    log = simulated_log
    calibration = calibrate(log, name="simulated")
    assert (calibration.open_s, calibration.close_s) == (8 * 3600, 12 * 3600)
    raw = calibration.scenario()
    raw["agent_groups"]["agents"]["staffing"] = AGENTS  # the simulator's own staffing (the log has no agents)
    for date, day in log.groupby("date"):
        trace = replay_trace(day, calibration, stream(7, 0, "replay-test"))
        path = tmp_path / "trace.csv"
        trace.to_csv(path, index=False, float_format="%.6f")
        config = load_config({"scenario": dict(raw, trace=str(path)), "run": {"replications": 1}})
        c = simulate(config.scenario, config.run, 0, keep_contacts=True).contacts
        day = day.sort_values("queue_entry_s", kind="stable")
        assert len(c) == len(day)
        np.testing.assert_allclose(c.wait_s, day["wait_s"].to_numpy(), atol=2e-6)
        assert list(np.where(c.answered, "answered", "abandoned")) == list(day["outcome"])
        hours = list(range(8, 12))
        simulated = hourly_kpis(c.arrival_time_s + calibration.open_s, c.answered,
                                (c.outcome == ABANDONED) & ~c.answered, c.wait_s, 20.0, hours)
        observed = hourly_kpis(day["queue_entry_s"], day["outcome"] == "answered", day["outcome"] == "abandoned",
                               day["wait_s"], 20.0, hours)
        pd.testing.assert_frame_equal(simulated[["offered", "answered", "abandoned", "service_level"]],
                                      observed[["offered", "answered", "abandoned", "service_level"]])
        break  # one day is enough for an exact check; the fixture has five


def test_replay_draws_only_what_the_log_does_not_say(simulated_log):
    day = simulated_log[simulated_log["date"] == simulated_log["date"].min()]
    calibration = calibrate(simulated_log, name="simulated")
    a = replay_trace(day, calibration, stream(1, 0, "x"))
    b = replay_trace(day, calibration, stream(2, 0, "x"))
    answered = (day.sort_values("queue_entry_s", kind="stable")["outcome"] == "answered").to_numpy()
    assert np.array_equal(a["handle_time_s"][answered], b["handle_time_s"][answered])  # observed
    assert np.array_equal(a["patience_s"][~answered], b["patience_s"][~answered])  # observed: the wait
    assert not np.array_equal(a["patience_s"][answered], b["patience_s"][answered])  # censored: drawn
    assert (a["patience_s"][answered] >= day.sort_values("queue_entry_s")["wait_s"].to_numpy()[answered]).all()


def test_calibration_command_replays_and_compares(tmp_path, capsys):
    out = tmp_path / "out"
    assert main([str(SAMPLE), "--mapping", str(BANK_MAPPING), "--out", str(out), "--scenario-dir", "",
                 "--replications", "3", "--dates", "1999-01-18,1999-01-19"]) == 0
    errors = pd.read_csv(out / "errors.csv")
    assert set(errors["model"]) == {"calibrated", "replay"}
    assert set(errors["kpi"]) == {"service_level", "asa_s", "abandon_rate"}
    assert (errors["hours"] > 10).all() and errors["mae"].notna().all()
    comparison = pd.read_csv(out / "comparison.csv")
    assert {"observed", "calibrated_low", "replay_high", "replay_significant"} <= set(comparison.columns)
    assert sorted(p.name for p in (out / "replay").iterdir()) == ["1999-01-18.csv", "1999-01-19.csv"]
    report = (out / "calibration.md").read_text()
    assert "![Simulated vs observed](comparison.png)" in report and "2 (1999-01-18 to 1999-01-19)" in report
    assert (out / "comparison.png").stat().st_size > 10_000
    assert "report:" in capsys.readouterr().out


@pytest.mark.parametrize("args, where", [
    (["--mapping", "nowhere.yaml"], "--mapping"),
    (["--mapping", str(BANK_MAPPING), "--weekdays", "Friday"], "weekdays"),
    (["--mapping", str(BANK_MAPPING), "--dates", "1999-02-30"], "argument --dates"),
    (["--mapping", str(BANK_MAPPING), "--name", "default"], "--name"),
    (["--mapping", str(BANK_MAPPING), "--replications", "1"], "argument --replications"),
])
def test_calibration_command_errors_are_one_line(args, where, tmp_path, capsys):
    assert main([str(SAMPLE), "--out", str(tmp_path), "--scenario-dir", "", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"sim.calibration: error: {where}") and "\n" not in err and "Traceback" not in err


def test_rolled_over_times_and_sniffed_delimiter(tmp_path):
    """A call arriving before midnight and answered after it; a semicolon-separated export."""
    path = tmp_path / "log.csv"
    path.write_text("day;arrive;answer;stop;result\n"
                    "2024-03-04;23:59:50;00:00:10;00:02:10;ok\n"
                    "2024-03-04;12:00:00;12:00:05;12:01:00;ok\n"
                    "2024-03-04;12:30:00;;;gone\n")
    mapping = {"date_column": "day", "date_format": "%Y-%m-%d", "time_format": "%H:%M:%S",
               "columns": {"arrival": "arrive", "answer": "answer", "end": "stop", "outcome": "result"},
               "outcomes": {"ok": "answered", "gone": "abandoned"}}
    table = read_log(path, mapping).table.sort_values("arrival_s").reset_index(drop=True)
    assert list(table["outcome"]) == ["answered", "abandoned", "answered"]
    late = table.iloc[2]
    assert late["arrival_s"] == 86390 and late["answer_s"] == 86410 and late["end_s"] == 86530
    assert late["wait_s"] == 20 and late["handle_time_s"] == 120
    assert table.iloc[0]["wait_s"] == 5


def test_calibrated_scenario_is_checked_before_it_is_written(simulated_log):
    calibration = calibrate(simulated_log, name="simulated")
    raw = calibration.scenario()
    check_scenario(raw)
    raw["agent_groups"]["agents"]["staffing"] = [-1] * calibration.n_intervals
    with pytest.raises(Exception, match=r"scenario\.agent_groups\.agents\.staffing"):
        check_scenario(raw)
    assert replace(calibration, name="x").scenario()["name"] == "x"


def test_busyness_cv_of_simulated_days_is_inside_its_interval():
    """40 Mondays simulated with busyness_cv 0.2 (Poisson-gamma daily volumes): the estimate's
    chi-square interval covers the true value, and a Poisson-only log gives an interval near 0."""
    from sim import single_queue_scenario
    from sim.calibration import day_variability
    from sim.model.config import RunSpec

    def days(cv: float) -> pd.DataFrame:
        scenario = replace(single_queue_scenario(150.0, 60.0, 40, horizon_s=2 * 3600), busyness_cv=cv)
        run = RunSpec(replications=40, seed=99, horizon_s=2 * 3600, figures=False)
        frames = []
        for day in range(40):
            c = simulate(scenario, run, day, keep_contacts=True).contacts
            frames.append(pd.DataFrame({"date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * day),
                                        "weekday": "Monday", "queue_entry_s": 8 * 3600 + c.arrival_time_s,
                                        "contact_type": "calls"}))
        return pd.concat(frames, ignore_index=True)

    busy = day_variability(days(0.2))
    assert busy.n_days == 40
    assert busy.busyness_ci[0] <= 0.2 <= busy.busyness_ci[1], (busy.busyness_cv, busy.busyness_ci)
    calm = day_variability(days(0.0))
    assert calm.busyness_ci[0] == 0.0 and calm.busyness_ci[1] < 0.2, (calm.busyness_cv, calm.busyness_ci)
