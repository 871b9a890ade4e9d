"""Forecast uncertainty: the day-level busyness factor (``scenario.busyness_cv``) and ``sl_risk``.

- ``busyness_cv: 0`` (or absent) leaves every number as it was, bit for bit;
- with a CV, a day's arrival count is Poisson-gamma (negative binomial): its
  variance across replications is ``m + (m cv)^2`` for mean ``m``;
- ``sl_risk`` is the share of replications missing the service-level target,
  as counted from ``replications.csv``, and grows with the forecast uncertainty;
- a bad ``busyness_cv`` is a ConfigError naming ``scenario.busyness_cv``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import chi2

from sim.engine.arrivals import day_factors, days_covered, scale_by_day
from sim.model.config import load_config
from sim.engine.errors import ConfigError
from sim.experiments.replications import run_experiment
from sim.reporting.outputs import write_outputs
from sim.model.centre import CentreModel
from sim.experiments.stats import wilson_interval
from sim.engine.streams import stream

from .conftest import REPO


def _default_scenario(**changes) -> dict:
    scenario = yaml.safe_load((REPO / "configs" / "scenario" / "default.yaml").read_text(encoding="utf-8"))
    scenario.pop("busyness_cv", None)
    scenario.update(changes)
    return scenario


def _single_queue(reps: int, hours: float, **scenario):
    raw = {"preset": "single_queue", "arrival_rate_per_hour": 200, "mean_handle_time_s": 180, "agents": 14,
           "service_level_target": 0.8}
    raw.update(scenario)
    return load_config({"scenario": raw, "run": {"replications": reps, "horizon_hours": hours, "figures": False}})


# ------------------------------------------------------------ (a) cv 0 = as before


def test_busyness_cv_zero_gives_the_same_numbers_as_without_the_key():
    run = {"replications": 2, "figures": False}
    absent = run_experiment(load_config({"scenario": _default_scenario(), "run": run}))
    zero = run_experiment(load_config({"scenario": _default_scenario(busyness_cv=0), "run": run}))
    pd.testing.assert_frame_equal(absent.replications, zero.replications, check_exact=True)
    pd.testing.assert_frame_equal(absent.summary, zero.summary, check_exact=True)
    pd.testing.assert_frame_equal(absent.intervals, zero.intervals, check_exact=True)
    # and as before the key existed: first arrivals of seed 12345 (recorded before busyness was added;
    # retrials and repeat contacts of the default centre come on top of them, from their own streams;
    # the social posts added later draw from a stream of their own and leave the others' as they were)
    customers = absent.replications.query("metric == 'unique_customers'").set_index(["replication", "channel"])["value"]
    arrivals = [customers[(r, "all")] - customers[(r, "social")] for r in (0, 1)]
    assert arrivals == [3653.0, 3633.0]
    assert [customers[(r, "social")] for r in (0, 1)] == [192.0, 218.0]


def test_busyness_cv_zero_single_queue_unchanged():
    absent = run_experiment(_single_queue(3, 4))
    zero = run_experiment(_single_queue(3, 4, busyness_cv=0.0))
    pd.testing.assert_frame_equal(absent.replications, zero.replications, check_exact=True)


# -------------------------------------------------------- (b) negative binomial counts


def _arrival_counts(cv: float, reps: int = 200, rate: float = 600.0, hours: float = 1.0) -> np.ndarray:
    config = load_config({
        "scenario": {"preset": "single_queue", "arrival_rate_per_hour": rate, "mean_handle_time_s": 60,
                     "agents": 20, "busyness_cv": cv},
        "run": {"replications": reps, "horizon_hours": hours, "figures": False}})
    reps_table = run_experiment(config).replications
    return reps_table.query("channel == 'all' and metric == 'arrivals'")["value"].to_numpy()


def _variance_ratio_interval(n: int, level: float = 0.999) -> tuple[float, float]:
    """Range of s^2 / sigma^2 for n normal-ish values: (n-1) s^2 / sigma^2 ~ chi2(n-1)."""
    return chi2.ppf((1 - level) / 2, n - 1) / (n - 1), chi2.ppf((1 + level) / 2, n - 1) / (n - 1)


@pytest.mark.parametrize("cv", [0.0, 0.2])
def test_daily_arrival_counts_have_negative_binomial_variance(cv):
    rate, hours, reps = 600.0, 1.0, 200
    counts = _arrival_counts(cv, reps, rate, hours)
    m = rate * hours
    expected_var = m + (m * cv) ** 2  # Poisson-gamma: lambda T + (lambda T cv)^2; Poisson when cv = 0
    low, high = _variance_ratio_interval(reps)
    ratio = counts.var(ddof=1) / expected_var
    assert low <= ratio <= high, f"cv {cv}: sample variance / expected = {ratio:.3f}, expected in [{low:.3f}, {high:.3f}]"
    # the mean stays lambda T (B has mean 1)
    half = 3.3 * math.sqrt(expected_var / reps)
    assert abs(counts.mean() - m) <= half


def test_busyness_inflates_the_variance_far_beyond_poisson():
    poisson, busy = _arrival_counts(0.0), _arrival_counts(0.2)
    assert busy.var(ddof=1) > 10 * poisson.var(ddof=1)  # 15000 vs 600 expected


def test_day_factors_have_mean_one_and_the_given_cv_and_are_coupled_across_cvs():
    f = day_factors(0.3, 200_000, np.random.default_rng(7))
    assert f.mean() == pytest.approx(1.0, abs=0.005)
    assert f.std() / f.mean() == pytest.approx(0.3, rel=0.02)
    assert (day_factors(0.0, 3, np.random.default_rng(7)) == 1.0).all()
    # same uniform -> same quantile: a busier day stays busier with a larger CV, and day d does not
    # depend on how many days are drawn
    small = day_factors(0.1, 50, np.random.default_rng(3))
    large = day_factors(0.4, 50, np.random.default_rng(3))
    assert (np.sign(small - 1) == np.sign(large - 1)).mean() > 0.9
    assert day_factors(0.1, 5, np.random.default_rng(3)).tolist() == small[:5].tolist()
    with pytest.raises(ValueError):
        day_factors(-0.1, 1, np.random.default_rng(0))


def test_each_simulated_day_has_its_own_factor_shared_by_every_contact_type():
    assert days_covered(3600.0, 12, 12 * 3600.0) == 1
    assert days_covered(3600.0, 48, 48 * 3600.0) == 2
    assert days_covered(3600.0, 48, 24 * 3600.0) == 1
    assert scale_by_day((10.0, 20.0, 30.0), 43200.0, np.array([2.0, 0.5])) == (20.0, 40.0, 15.0)
    config = _single_queue(1, 48, busyness_cv=0.25, agents=30)
    model = CentreModel(config.scenario, config.run, 0)
    model.run()
    expected = day_factors(0.25, 2, stream(config.run.seed, 0, "busyness"))
    assert model.day_factors.tolist() == expected.tolist()
    assert model.day_factors[0] != model.day_factors[1]


# ------------------------------------------------------------------- (c) sl_risk


def test_sl_risk_is_the_share_of_replications_missing_the_target(tmp_path):
    config = load_config({"scenario": _default_scenario(busyness_cv=0.15),
                          "run": {"replications": 6, "figures": False}})
    result = run_experiment(config)
    write_outputs(result, tmp_path, figures=False)
    summary = pd.read_csv(tmp_path / "summary.csv")
    reps = pd.read_csv(tmp_path / "replications.csv")
    sl = reps[reps.metric == "service_level"].pivot(index="replication", columns="channel", values="value")
    risk = summary[summary.metric == "sl_risk"].set_index("channel")
    assert set(risk.index) == {"phone", "chat", "email", "social", "all"}
    any_miss = pd.Series(False, index=sl.index)
    for name, channel in config.scenario.channels.items():
        missed = sl[name] < channel.service_level_target
        any_miss |= missed
        row = risk.loc[name]
        assert 0.0 <= row["mean"] <= 1.0
        assert row["mean"] == pytest.approx(missed.sum() / sl[name].notna().sum())
        assert row["n_reps"] == sl[name].notna().sum() == 6
        est = wilson_interval(int(missed.sum()), 6, config.run.confidence)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((est.low, est.high))
        assert 0.0 <= row["ci_low"] <= row["mean"] <= row["ci_high"] <= 1.0
    assert risk.loc["all", "mean"] == pytest.approx(any_miss.mean())
    # listed right after the service level of each channel
    phone = summary[summary.channel == "phone"].metric.tolist()
    assert phone[phone.index("service_level") + 1] == "sl_risk"


def test_sl_risk_grows_with_forecast_uncertainty_when_staffed_just_at_target():
    # 200 calls/h x 180 s = 10 Erlangs on 14 agents: Erlang C gives 89% in 20 s (target 80%)
    calm = run_experiment(_single_queue(80, 8, busyness_cv=0.0))
    assert "sl_risk" not in set(calm.summary["metric"]), "without forecast uncertainty sl_risk is not reported"
    sl = calm.replications[calm.replications.metric == "service_level"].set_index("channel").loc["phone", "value"]
    calm_risk = wilson_interval(int((sl < 0.8).sum()), len(sl))  # the same share, by hand, for the comparison
    summary = run_experiment(_single_queue(80, 8, busyness_cv=0.2)).summary.set_index(["channel", "metric"])
    risk = summary.loc[("phone", "sl_risk")]
    assert summary.loc[("all", "sl_risk"), "mean"] == risk["mean"]  # one channel: all = phone
    assert 0.0 <= calm_risk.mean < risk["mean"] <= 1.0
    assert calm_risk.high < risk["ci_low"], (calm_risk, risk)


def test_wilson_interval_matches_the_formula_and_stays_in_unit_interval():
    est = wilson_interval(5, 20, 0.95)
    assert (est.low, est.high) == pytest.approx((0.11186170140766571, 0.468700877618744))  # scipy binomtest wilson
    assert wilson_interval(0, 10).low == 0.0 and wilson_interval(10, 10).high == 1.0
    assert math.isnan(wilson_interval(0, 0).mean)


# --------------------------------------------------------------- (d) bad values


@pytest.mark.parametrize("value", [-0.1, "high", True, float("inf")])
@pytest.mark.parametrize("form", ["centre", "single_queue"])
def test_bad_busyness_cv_names_the_key(form, value):
    if form == "centre":
        raw = {"scenario": _default_scenario(busyness_cv=value), "run": {}}
    else:
        raw = {"scenario": {"preset": "single_queue", "arrival_rate_per_hour": 100, "mean_handle_time_s": 180,
                            "agents": 5, "busyness_cv": value}, "run": {"horizon_hours": 2}}
    with pytest.raises(ConfigError) as err:
        load_config(raw)
    assert err.value.where == "scenario.busyness_cv"
    assert str(err.value).startswith("scenario.busyness_cv: expected")
