"""Calibration from contact logs (sim.calibration): import with a column mapping, and estimates that
recover the known parameters of a log the simulator generated itself."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import simulate, single_queue_scenario
from sim.calibration import (arrival_rates, fit_handle_times, patience, read_log, repeat_contacts,
                             staffing_from_activity)
from sim.engine.distributions import Distribution
from sim.model.config import RunSpec
from sim.engine.errors import ConfigError
from sim.engine.records import OUTCOMES

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "anonymous_bank_sample.tsv"
BANK_MAPPING = REPO / "configs" / "logs" / "anonymous_bank.yaml"

RATE, AHT, CV, AGENTS, PATIENCE, HOURS, DAYS = 120.0, 240.0, 0.8, 8, 180.0, 4, 5
STAMP = "%Y-%m-%d %H:%M:%S.%f"
SIM_MAPPING = {
    "name": "simulated", "delimiter": None, "time_format": STAMP,
    "columns": {"arrival": "arrived_at", "answer": "answered_at", "end": "left_at", "outcome": "result",
                "contact_type": "queue"},
    "outcomes": {"served": "answered", "abandoned": "abandoned", "blocked": "other", "in_system": "other"},
    "keep": {"outcomes": ["answered", "abandoned"]},
}


def write_simulated_log(path: Path) -> Path:
    """DAYS replications of an M/G/c+M queue (lognormal handle times), one per day from Monday
    2024-01-01 08:00, written as a CSV export with datetimes."""
    base = single_queue_scenario(RATE, AHT, AGENTS, horizon_s=HOURS * 3600, mean_patience_s=PATIENCE)
    ct = replace(base.contact_types["calls"], handle_time=Distribution("lognormal", AHT, CV))
    scenario = replace(base, contact_types={"calls": ct})
    run = RunSpec(replications=DAYS, seed=2024, horizon_s=HOURS * 3600, figures=False)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["ticket", "queue", "arrived_at", "answered_at", "left_at", "result"])
        for day in range(DAYS):
            c = simulate(scenario, run, day, keep_contacts=True).contacts
            start = pd.Timestamp("2024-01-01 08:00") + pd.Timedelta(days=day)
            for i in range(len(c)):
                outcome = OUTCOMES[c.outcome[i]]
                arrive = start + pd.Timedelta(seconds=float(c.arrival_time_s[i]))
                answered = arrive + pd.Timedelta(seconds=float(c.wait_s[i])) if outcome == "answered" else None
                left = start + pd.Timedelta(seconds=float(c.end_time_s[i])) if np.isfinite(c.end_time_s[i]) else None
                out.writerow([f"{day}-{i}", "calls", arrive.strftime(STAMP),
                              answered.strftime(STAMP) if answered is not None else "",
                              left.strftime(STAMP) if left is not None else "",
                              "served" if outcome == "answered" else outcome])
    return path


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    path = write_simulated_log(tmp_path_factory.mktemp("logs") / "simulated.csv")
    return read_log(path, SIM_MAPPING)


def test_estimates_recover_the_simulators_parameters(simulated):
    log = simulated.table
    assert set(log["outcome"]) == {"answered", "abandoned"}
    assert log["date"].nunique() == DAYS
    # arrival rate: hourly rates over the 4 open hours; pooled over days, the exact Poisson interval
    rates = arrival_rates(log, interval_minutes=60, by_weekday=False).table
    open_hours = rates[(rates["interval_start_s"] >= 8 * 3600) & (rates["interval_start_s"] < (8 + HOURS) * 3600)]
    assert (rates["mean_count"].sum() - open_hours["mean_count"].sum()) == 0
    covered = ((open_hours["poisson_low"] <= RATE) & (RATE <= open_hours["poisson_high"])).sum()
    assert covered >= HOURS - 1
    total = open_hours["mean_count"].sum() * DAYS
    from scipy import stats
    low, high = stats.chi2.ppf(0.025, 2 * total) / 2, stats.chi2.ppf(0.975, 2 * total + 2) / 2
    assert low <= RATE * HOURS * DAYS <= high
    # handle times: lognormal chosen by AIC, the true mean inside the t interval, the CV close
    fit = fit_handle_times(log)["calls"]
    assert fit.best == "lognormal", fit.fits
    assert fit.mean_ci[0] <= AHT <= fit.mean_ci[1]
    assert fit.distribution["dist"] == "lognormal" and abs(fit.distribution["cv"] - CV) < 0.1
    # patience: exponential MLE from censored waits, the true mean inside its interval
    est = patience(log)
    assert est.abandonments > 50
    assert est.mean_ci[0] <= PATIENCE <= est.mean_ci[1], (est.mean_s, est.mean_ci)
    # Kaplan-Meier against the true exponential survival at a few times
    km = est.km
    for t in (30.0, 60.0, 120.0):
        row = km[km["time"] <= t].iloc[-1]
        assert row["ci_low"] - 0.02 <= np.exp(-t / PATIENCE) <= row["ci_high"] + 0.02


def _direct_bank_counts() -> Counter:
    """Outcomes of the sample's calls that reached the queue or an agent, PHANTOM left out, counted
    directly from the file."""
    counts: Counter = Counter()
    with open(SAMPLE, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            reached = row["q_start"] != "0:00:00" or (row["outcome"] == "AGENT" and row["ser_start"] != "0:00:00")
            if reached and row["outcome"] in ("AGENT", "HANG"):
                counts[{"AGENT": "answered", "HANG": "abandoned"}[row["outcome"]]] += 1
    return counts


def test_bank_sample_imports_with_the_shipped_mapping():
    imported = read_log(SAMPLE, BANK_MAPPING)
    log, report = imported.table, imported.report
    assert report.rows_read == 7361 and not report.bad_rows
    assert dict(log["outcome"].value_counts()) == dict(_direct_bank_counts())
    assert sorted(log["weekday"].astype(str).unique()) == ["Monday", "Sunday", "Thursday", "Tuesday", "Wednesday"]
    assert (log["wait_s"] >= 0).all() and report.clamped_waits >= 0
    served = log[log["outcome"] == "answered"]
    assert (served["handle_time_s"].dropna() >= 0).all()
    assert served["handle_time_s"].isna().sum() < 10  # AGENT calls with no service times (ser_start 0:00:00)
    # the estimators run on real data
    assert fit_handle_times(log)["PS"].n > 1000
    assert patience(log).abandonments == (log["outcome"] == "abandoned").sum()
    staff = staffing_from_activity(log)
    assert staff["mean_agents"].max() > 3
    assert repeat_contacts(log, windows_days=(1,)).table["contacts"].iloc[0] > 0


def _corrupt(tmp_path: Path, line: int, field: str, value: str) -> Path:
    """The sample with one field of one (1-based) file line replaced."""
    raw = SAMPLE.read_bytes().split(b"\r\n")
    header = raw[0].decode().split("\t")
    cells = raw[line - 1].decode().split("\t")
    cells[header.index(field)] = value
    raw[line - 1] = "\t".join(cells).encode()
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"\r\n".join(raw))
    return path


def test_malformed_row_names_file_and_line(tmp_path):
    path = _corrupt(tmp_path, 40, "vru_entry", "7:9x:00")
    with pytest.raises(ConfigError) as err:
        read_log(path, BANK_MAPPING)
    assert err.value.where == f"{path}:40"
    assert "vru_entry" in err.value.message and "7:9x:00" in err.value.message
    assert "\n" not in str(err.value)
    path = _corrupt(tmp_path, 12, "outcome", "TRANSFER")
    with pytest.raises(ConfigError, match=r"bad\.tsv:12: .*unknown outcome 'TRANSFER'"):
        read_log(path, BANK_MAPPING)


def test_skip_mode_reports_counts_by_reason(tmp_path):
    raw = SAMPLE.read_bytes().split(b"\r\n")
    header = raw[0].decode().split("\t")

    def set_field(line: int, field: str, value: str) -> None:
        cells = raw[line - 1].decode().split("\t")
        cells[header.index(field)] = value
        raw[line - 1] = "\t".join(cells).encode()

    set_field(10, "date", "99x117")
    set_field(20, "outcome", "TRANSFER")
    set_field(30, "outcome", "???")
    raw[49] = b"too\tfew\tfields"
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"\r\n".join(raw))
    with pytest.raises(ConfigError, match=r"bad\.tsv:10: "):
        read_log(path, BANK_MAPPING)
    imported = read_log(path, BANK_MAPPING, on_bad_rows="skip")
    assert imported.report.bad_rows == {"unparseable date": 1, "unknown outcome": 2, "wrong number of fields": 1}
    assert [line for line, _ in imported.report.first_bad] == [10, 20, 30, 50]
    assert imported.report.rows_read == 7361
    assert "4 bad rows skipped" in str(imported.report)
    assert 10 not in set(imported.table["line"])


def test_mapping_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"log_mapping\.columns\.arival: unknown key \(did you mean 'arrival'\?\)"):
        read_log(SAMPLE, {"columns": {"arival": "vru_entry"}})
    with pytest.raises(ConfigError, match=r"no column 'vru_entri'"):
        read_log(SAMPLE, {"delimiter": "\t", "date_column": "date", "date_format": "%y%m%d",
                          "time_format": "%H:%M:%S", "columns": {"arrival": "vru_entri"}})
