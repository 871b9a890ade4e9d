"""Statistics of experiments: MSER-5 warm-up, sequential replications, paired comparisons (common random numbers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from sim import ConfigError, load_config, run_experiment, single_queue_scenario
from sim.experiments.comparison import COMPARE_COLUMNS, compare, compare_replications
from sim.model.config import RunSpec, SimConfig, resolve_run
from sim.experiments.sequential import (detect_warmup, detect_warmup_s, pilot_replications, refine_scenario,
                                        resolve_warmup, run_configured, run_until_precise, warmup_series)
from sim.experiments.stats import mser, mser5, mser_statistic, paired_difference, t_interval, welch_half_width


# ------------------------------------------------------------------ MSER-5


def _brute_mser(x, b):
    m = len(x) // b
    z = np.asarray(x[: m * b]).reshape(m, b).mean(axis=1)
    return np.array([np.sum((z[d:] - z[d:].mean()) ** 2) / (m - d) ** 2 for d in range(m // 2 + 1)])


def test_mser_statistic_matches_its_definition():
    x = np.random.default_rng(0).normal(size=203)
    for b in (1, 5, 7):
        np.testing.assert_allclose(mser_statistic(x, b), _brute_mser(x, b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_mser5_truncates_an_initial_transient_near_its_end(seed):
    rng = np.random.default_rng(seed)
    t = np.arange(1000)
    x = 10.0 * np.exp(-t / 30.0) + rng.normal(0.0, 1.0, t.size)  # transient below the noise after ~70
    cut = mser5(x)
    assert cut % 5 == 0
    assert 50 <= cut <= 200, cut


@pytest.mark.parametrize("seed", range(5))
def test_mser5_barely_truncates_a_stationary_series(seed):
    rng = np.random.default_rng(100 + seed)
    e = rng.normal(size=1000)
    ar = np.zeros_like(e)
    for i in range(1, e.size):  # autocorrelated, like a queue-length series
        ar[i] = 0.8 * ar[i - 1] + e[i]
    assert mser5(rng.normal(5.0, 1.0, 1000)) <= 100
    assert mser5(ar) <= 100
    assert mser5(np.full(50, 3.0)) == 0


def test_mser_rejects_short_or_nan_series():
    with pytest.raises(ValueError):
        mser5([1.0] * 9)
    with pytest.raises(ValueError):
        mser5([1.0] * 20 + [math.nan])
    assert mser([5, 0, 0, 0, 0, 0], batch_size=1) == 1


def _backlog_centre(staffing, seed=12345, hours=12):
    """200 calls/h, AHT 180 s, patience 300 s; ``staffing`` per hour."""
    return load_config({
        "scenario": {
            "preset": "centre", "open_time": "00:00", "close_time": f"{hours:02d}:00", "interval_minutes": 60,
            "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8}},
            "contact_types": {"calls": {"channel": "phone", "arrivals": {"rate_per_hour": 200},
                                        "handle_time": {"dist": "exponential", "mean_s": 180},
                                        "patience": {"dist": "exponential", "mean_s": 300}}},
            "agent_groups": {"agents": {"skills": ["calls"], "staffing": staffing}},
        },
        "run": {"seed": seed, "figures": False},
    })


def test_detect_warmup_finds_the_end_of_a_backlog():
    # 8 agents for 2 h (a backlog builds), then 12: the queue settles shortly after 2 h
    transient = pilot_replications(_backlog_centre([8, 8] + [12] * 10), 20)
    steady = pilot_replications(_backlog_centre(12), 20)
    assert len(transient[0].segments.bounds_s) - 2 >= 100  # refined to >= 100 segments before the horizon
    w_transient = detect_warmup_s(transient)
    w_steady = detect_warmup_s(steady)
    assert 2 * 3600 <= w_transient <= 4.5 * 3600, w_transient / 3600
    assert w_steady < w_transient and w_steady <= 2.5 * 3600, w_steady / 3600
    starts, _ = warmup_series(transient)
    assert w_transient in starts  # a segment bound
    report = detect_warmup(transient, metric="mean_wait_s", channel="phone")
    assert 1.5 * 3600 <= report["warmup_s"] <= 5 * 3600 and not report["at_limit"]


def test_refined_scenario_is_the_same_model():
    cfg = _backlog_centre([8, 8] + [12] * 10)
    fine = refine_scenario(cfg.scenario, 4)
    assert fine.n_intervals == 48 and fine.interval_s == 900.0
    assert fine.agent_groups["agents"].staffing[:9] == (8,) * 8 + (12,)
    coarse = run_experiment(cfg).summary.set_index(["channel", "metric"])["mean"]
    finer = run_experiment(SimConfig(fine, resolve_run(cfg.run, fine))).summary.set_index(["channel", "metric"])["mean"]
    pd.testing.assert_series_equal(coarse, finer, rtol=1e-6)  # same draws, same arrival times


def test_warmup_auto_run_key():
    raw = {"scenario": {"preset": "single_queue", "arrival_rate_per_hour": 200, "mean_handle_time_s": 180,
                        "agents": 12, "mean_patience_s": 120},
           "run": {"warmup_hours": "auto", "horizon_hours": 12, "figures": False}}
    cfg = load_config(raw)
    assert cfg.run.warmup_auto and cfg.run.warmup_s == 0.0
    resolved, report = resolve_warmup(cfg, pilot_reps=5)
    assert not resolved.run.warmup_auto
    assert resolved.run.warmup_s == report["warmup_s"] < cfg.run.horizon_s / 2
    assert report["pilot_replications"] == 5 and report["n_segments"] >= 100
    assert not load_config(dict(raw, run={"warmup_hours": 1, "horizon_hours": 12})).run.warmup_auto
    with pytest.raises(ConfigError, match="run.warmup_hours: expected a number of hours or 'auto'"):
        load_config(dict(raw, run={"warmup_hours": "soon", "horizon_hours": 12}))


# ----------------------------------------------------- sequential replications


def _queue(agents, replications=10, hours=3.0, seed=12345, **run):
    scenario = single_queue_scenario(200, 180, agents, horizon_s=hours * 3600, mean_patience_s=120)
    spec = RunSpec(replications=replications, seed=seed, horizon_s=hours * 3600, figures=False, **run)
    return SimConfig(scenario, resolve_run(spec, scenario))


def test_run_until_precise_stops_at_the_target_and_matches_run_experiment():
    cfg = _queue(11)
    result, report = run_until_precise(cfg, ("all", "asa_s"), half_width=1.0, min_replications=5, batch=5)
    assert report["met"] and report["half_width"] <= 1.0
    n = report["replications"]
    assert 5 < n < 200 and n % 5 == 0
    assert report["history"][-1] == (n, report["half_width"])
    assert report["history"][-2][1] > 1.0  # the batch before did not reach it
    same = run_experiment(_queue(11, replications=n))
    assert result.config.run.replications == n
    pd.testing.assert_frame_equal(result.summary, same.summary)
    pd.testing.assert_frame_equal(result.replications, same.replications)
    pd.testing.assert_frame_equal(result.intervals, same.intervals)
    pd.testing.assert_frame_equal(result.groups, same.groups)


def test_run_until_precise_reports_the_cap_and_relative_targets():
    cfg = _queue(11, hours=1.0)
    _, report = run_until_precise(cfg, "all.service_level", half_width=1e-4, min_replications=3, max_replications=8,
                                  batch=4)
    assert not report["met"] and report["replications"] == 8
    assert [n for n, _ in report["history"]] == [3, 7, 8]
    _, rel = run_until_precise(cfg, "phone.asa_s", half_width=0.2, relative=True, max_replications=100)
    assert rel["met"] and rel["relative_half_width"] <= 0.2 and rel["channel"] == "phone"


def test_parallel_sequential_run_gives_the_same_numbers():
    a, ra = run_until_precise(_queue(11, hours=1.0), "all.asa_s", 2.0, min_replications=4, max_replications=12, batch=4)
    b, rb = run_until_precise(_queue(11, hours=1.0, workers=2), "all.asa_s", 2.0, min_replications=4,
                              max_replications=12, batch=4)
    assert ra["history"] == rb["history"]
    pd.testing.assert_frame_equal(a.replications, b.replications)


def test_sequential_run_keys():
    raw = {"scenario": {"preset": "single_queue", "arrival_rate_per_hour": 200, "mean_handle_time_s": 180,
                        "agents": 11, "mean_patience_s": 120},
           "run": {"horizon_hours": 1, "replications": 4, "figures": False, "target_half_width": 0.05,
                   "target_metric": "phone.service_level", "max_replications": 30}}
    cfg = load_config(raw)
    assert cfg.run.target == ("phone", "service_level") and cfg.run.max_replications == 30
    result, report = run_configured(cfg)
    assert report["met"] and report["history"][0][0] == 4 and report["replications"] <= 30
    assert result.config.run.replications == report["replications"]
    plain, none = run_configured(load_config(dict(raw, run={"horizon_hours": 1, "replications": 3})))
    assert none is None and plain.config.run.replications == 3

    def bad(**run):
        with pytest.raises(ConfigError) as err:
            load_config(dict(raw, run=dict(raw["run"], **run)))
        return str(err.value)

    assert bad(target_metric="phone.speed").startswith("run.target_metric: unknown metric 'speed'")
    assert bad(target_metric="service_level").startswith("run.target_metric: expected 'channel.metric'")
    assert bad(target_metric="chat.asa_s").startswith("run.target_metric: expected a channel (phone), 'live' or 'all'")
    assert bad(target_metric="phone.occupancy").startswith("run.target_metric: occupancy is reported for 'all' only")
    assert bad(target_half_width=0).startswith("run.target_half_width: expected a positive number")
    assert bad(max_replications=2).startswith("run.max_replications: expected at least run.replications (4)")


# ----------------------------------------------- common random numbers, paired


def test_paired_and_welch_intervals_match_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 12)
    b = a + rng.normal(1, 0.5, 12)
    d = paired_difference(a, b, 0.9)
    ref = scipy.stats.ttest_rel(b, a).confidence_interval(0.9)
    assert d.low == pytest.approx(ref.low) and d.high == pytest.approx(ref.high)
    half, var = welch_half_width(a, b[:9], 0.9)
    ref = scipy.stats.ttest_ind(b[:9], a, equal_var=False).confidence_interval(0.9)
    assert half == pytest.approx((ref.high - ref.low) / 2)
    assert var == pytest.approx(a.var(ddof=1) / 12 + b[:9].var(ddof=1) / 9)


def test_comparing_a_config_with_itself_gives_zero_differences():
    base = run_experiment(_queue(11, replications=5, hours=1.0))
    again = run_experiment(_queue(11, replications=5, hours=1.0))
    table = compare(base, again)
    assert list(table.columns) == COMPARE_COLUMNS
    defined = table[table["n_reps"] > 0]
    assert len(defined) > 10
    assert (defined["diff_mean"] == 0).all() and (defined["diff_ci_low"] == 0).all()
    assert (defined["diff_ci_high"] == 0).all()
    np.testing.assert_array_equal(defined["baseline_mean"], defined["alternative_mean"])


def test_one_more_agent_is_detected_with_far_fewer_replications_when_paired():
    n = 10
    base = run_experiment(_queue(11, replications=n))  # 200 calls/h, AHT 180 s, patience 120 s, 3 h
    plus = run_experiment(_queue(12, replications=n))  # same seed: replication r sees the same customers
    table = compare(base, plus).set_index(["channel", "metric"])
    asa = table.loc[("all", "asa_s")]
    paired_half = (asa.diff_ci_high - asa.diff_ci_low) / 2
    print(f"\nASA 11 -> 12 agents, {n} replications: diff {asa.diff_mean:.2f} s, paired ±{paired_half:.2f}, "
          f"independent ±{asa.independent_half_width:.2f}, variance reduction {asa.variance_reduction:.1f}x")
    assert asa.n_reps == n and asa.diff_mean < 0
    assert asa.diff_ci_high < 0  # paired: +1 agent is better, the interval excludes 0
    assert paired_half < asa.independent_half_width
    assert asa.variance_reduction > 3
    assert table.loc[("all", "service_level")].diff_ci_low > 0
    assert table.loc[("all", "offered")].diff_mean == 0  # the same customers arrive in both

    # replications each design needs for a ±0.5 s interval on the ASA difference, from 30 of each:
    # paired (same seed) versus independent (the alternative run with another seed)
    n_max = 30
    base = run_experiment(_queue(11, replications=n_max))
    paired = run_experiment(_queue(12, replications=n_max))
    indep = run_experiment(_queue(12, replications=n_max, seed=999))

    def asa_values(result):
        rows = result.replications
        return rows[(rows.channel == "all") & (rows.metric == "asa_s")].sort_values("replication")["value"].to_numpy()

    b, p, i = asa_values(base), asa_values(paired), asa_values(indep)
    target, z = 0.5, 1.96

    def needed(var_one_pair):  # n with z * sqrt(var / n) <= target
        return math.ceil(var_one_pair * (z / target) ** 2)

    n_paired = needed(np.var(p - b, ddof=1))
    n_indep = needed(np.var(b, ddof=1) + np.var(i, ddof=1))
    first = next(k for k in range(2, n_max + 1) if paired_difference(b[:k], p[:k]).high < 0)
    print(f"replications for ±{target} s on the ASA difference: paired {n_paired}, independent {n_indep}; "
          f"paired CI excludes 0 from {first} replications")
    assert n_indep > 3 * n_paired
    assert first <= 5
    assert t_interval(p - b).half_width < welch_half_width(b, i)[0]


# ------------------------------------------------------------------ shares: intervals inside [0, 1]

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sim.experiments.stats import share_interval  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=2, max_size=40),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_a_share_interval_stays_inside_zero_and_one_and_holds_the_mean(values, confidence):
    est = share_interval(values, confidence)
    assert 0.0 <= est.low <= est.mean <= est.high <= 1.0
    assert est.mean == pytest.approx(float(np.mean(values)))


def test_a_share_interval_is_the_t_interval_away_from_the_bounds_and_asymmetric_near_them():
    rng = np.random.default_rng(3)
    middle = rng.uniform(0.4, 0.6, size=30)
    share, t = share_interval(middle), t_interval(middle)
    assert share.low == pytest.approx(t.low, abs=0.02 * (t.high - t.low))
    assert share.high == pytest.approx(t.high, abs=0.02 * (t.high - t.low))
    high = np.array([1.0, 1.0, 0.95, 0.7, 1.0])  # a t-interval would pass 100%
    assert t_interval(high).high > 1.0
    est = share_interval(high)
    assert est.high < 1.0 and est.high - est.mean < est.mean - est.low
    # the delta-method logit interval by hand: logit(m) ± t s / (sqrt(n) m (1 - m))
    m, s = high.mean(), high.std(ddof=1)
    half = scipy.stats.t.ppf(0.975, 4) * s / math.sqrt(5) / (m * (1 - m))
    logit = math.log(m / (1 - m))
    assert (est.low, est.high) == pytest.approx((1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half)))))
    assert share_interval([1.0, 1.0, 1.0]).low == 1.0 and share_interval([0.0, 0.0]).high == 0.0
    assert math.isnan(share_interval([0.5]).low)


def test_no_interval_of_a_count_time_or_cost_reaches_below_zero():
    """Three replications of the default centre: wide t-intervals of small counts would reach below 0;
    they are cut at the KPI's range, and the printed table then shows the bounds."""
    import yaml

    from sim import run_experiment
    from sim.experiments.replications import KPI_RANGES, format_summary

    from .conftest import REPO, centre_config

    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    raw.pop("preset")
    result = run_experiment(centre_config(raw, replications=3))
    s = result.summary.dropna(subset=["ci_low"])
    for row in s.itertuples():
        lower, upper = KPI_RANGES.get(row.metric, (0.0, math.inf))
        assert lower <= row.ci_low <= row.mean <= row.ci_high <= upper, row
    t = result.types.dropna(subset=["ci_low"])
    assert (t.ci_low >= 0).all()
    raw_t = [r for r in s.itertuples() if r.ci_low == 0 and r.mean > 0]
    assert raw_t, "some interval was cut at 0 (three replications of small counts)"
    text = format_summary(result.summary, 0.95, deferrable=("email",))
    assert " [0" in text, "a cut interval is printed with its bounds, not a symmetric ±"


def test_the_printed_table_keeps_a_space_between_columns_however_wide_a_cell():
    import pandas as pd

    from sim.experiments.replications import format_summary

    summary = pd.DataFrame([{"channel": ch, "metric": "offered", "mean": 123456789012.0, "ci_low": 1.0,
                             "ci_high": 246913578023.0, "n_reps": 3} for ch in ("phone", "chat")])
    header, row = format_summary(summary, 0.95).splitlines()[:2]
    cells = row.split()
    assert cells[0] == "offered" and len(cells) == 1 + 2 * 2, row


def _reps(rows: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    """A replications table from ``{(channel, metric): [value per replication]}``."""
    return pd.DataFrame([{"replication": r, "channel": ch, "metric": m, "value": v}
                         for (ch, m), values in rows.items() for r, v in enumerate(values)])


def test_a_mechanism_kpi_one_run_lacks_is_compared_at_its_exact_value_without_the_mechanism():
    plain = _reps({("phone", "offered"): [100, 120, 90], ("phone", "aht_s"): [300.0, 310.0, 290.0],
                   ("chat", "offered"): [0, 0, 0], ("chat", "aht_s"): [math.nan] * 3})
    acw_and_balking = _reps({
        ("phone", "offered"): [95, 110, 90], ("phone", "aht_s"): [330.0, 345.0, 320.0],
        ("phone", "talk_time_s"): [301.0, 312.0, 290.0], ("phone", "wrap_up_s"): [29.0, 33.0, 30.0],
        ("phone", "balked"): [5, 10, 0], ("phone", "balk_rate"): [0.05, 10 / 120, 0.0],
        ("chat", "offered"): [0, 0, 0], ("chat", "balk_rate"): [math.nan] * 3,
        ("phone", "lines_busy"): [4.0, 5.0, 3.0]})
    table = compare_replications(plain, acw_and_balking, 0.95).set_index(["channel", "metric"])
    assert list(table.reset_index().columns) == COMPARE_COLUMNS
    # the baseline balks no one and wraps up nothing: 0; its talk time is its whole handle time
    wrap = table.loc[("phone", "wrap_up_s")]
    assert (wrap.baseline_mean, wrap.alternative_mean, wrap.diff_mean, wrap.n_reps) == (0.0, 92 / 3, 92 / 3, 3)
    assert wrap.note == "baseline without after-call work: 0"
    talk = table.loc[("phone", "talk_time_s")]
    assert (talk.baseline_mean, talk.diff_mean) == (300.0, pytest.approx(1.0))
    assert talk.note == "baseline without after-call work: talk time = its aht_s"
    balked = table.loc[("phone", "balked")]
    assert (balked.baseline_mean, balked.diff_mean, balked.note) == (0.0, 5.0, "baseline without balking: 0")
    assert table.loc[("phone", "balk_rate")].baseline_mean == 0.0
    # not where the value is not known without the mechanism: no contact to balk, no busy-line count
    assert ("chat", "balk_rate") not in table.index
    assert ("phone", "lines_busy") not in table.index
    assert (table.loc[[("phone", "aht_s"), ("phone", "offered")], "note"] == "").all()
    # and the other way round: an alternative without after-call work against a baseline with it
    back = compare_replications(acw_and_balking, plain, 0.95).set_index(["channel", "metric"])
    assert back.loc[("phone", "wrap_up_s")].diff_mean == -92 / 3
    assert back.loc[("phone", "wrap_up_s")].note == "alternative without after-call work: 0"
