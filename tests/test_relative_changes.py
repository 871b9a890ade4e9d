"""Relative changes: staffing_delta / staffing_scale per agent group, arrivals.scale per contact type and
volume_scale for the whole centre, as overrides of the default scenario."""

from __future__ import annotations

import pytest

from sim import ConfigError, load_config, run_experiment
from sim.__main__ import composed

FEW = ["run.replications=3", "run.figures=false"]


def _config(*overrides: str):
    return load_config(composed([*FEW, *overrides]))


def test_three_more_generalists_by_delta_give_exactly_the_numbers_of_the_profile_typed_out():
    base = _config().scenario.agent_groups["generalists"].staffing
    typed = "[" + ", ".join(str(n + 3) for n in base) + "]"
    by_delta = run_experiment(_config("scenario.agent_groups.generalists.staffing_delta=3"))
    by_profile = run_experiment(_config(f"scenario.agent_groups.generalists.staffing={typed}"))
    assert by_delta.config.scenario.agent_groups["generalists"].staffing == tuple(n + 3 for n in base)
    assert by_delta.summary.equals(by_profile.summary) and by_delta.groups.equals(by_profile.groups)
    assert by_delta.replications.equals(by_profile.replications)


def test_a_delta_per_interval_and_a_scale_rounding_halves_up():
    n = len(_config().scenario.agent_groups["specialists"].staffing)
    delta = [1] + [0] * (n - 1)
    spec = _config("scenario.agent_groups.specialists.staffing=[3, 5" + ", 4" * (n - 2) + "]",
                   "+scenario.agent_groups.specialists.staffing_scale=1.5",
                   f"scenario.agent_groups.specialists.staffing_delta={delta}").scenario.agent_groups["specialists"]
    assert spec.staffing[:3] == (5 + 1, 8, 6)  # 4.5 -> 5 (+1), 7.5 -> 8, 6.0 -> 6


def test_volume_scales_multiply_the_rates_of_every_type_and_of_one_type():
    base = _config().scenario.contact_types
    more = _config("scenario.volume_scale=1.1", "+scenario.contact_types.billing.arrivals.scale=2").scenario.contact_types
    for name, ct in base.items():
        if ct.rate_per_hour is None:
            assert more[name].rate_per_hour is None  # fed by escalation only
            continue
        factor = 1.1 * (2 if name == "billing" else 1)
        assert more[name].rate_per_hour == pytest.approx(tuple(r * factor for r in ct.rate_per_hour), rel=1e-12)


def test_ten_percent_more_volume_offers_about_ten_percent_more_contacts():
    """Same seed: the offered contacts of the whole centre rise by 10% within the sampling noise."""
    base = run_experiment(_config("run.replications=10")).summary
    more = run_experiment(_config("run.replications=10", "scenario.volume_scale=1.1")).summary
    get = lambda s: s.query("channel == 'all' and metric == 'arrivals'").iloc[0]  # noqa: E731
    ratio = get(more)["mean"] / get(base)["mean"]
    assert 1.07 < ratio < 1.13, ratio  # Poisson counts of ~10,000 a day: a few tenths of a percent


@pytest.mark.parametrize("overrides, message", [
    (["scenario.agent_groups.generalists.staffing_delta=-17"],
     "scenario.agent_groups.generalists.staffing_delta: leaves -1 agents in interval 0 (08:00); expected at least 0"),
    (["scenario.agent_groups.generalists.staffing_delta=1.5"],
     "scenario.agent_groups.generalists.staffing_delta: expected a whole number"),
    (["+scenario.agent_groups.generalists.staffing_scale=0"],
     "scenario.agent_groups.generalists.staffing_scale: expected a positive number"),
    (["scenario.volume_scale=-1"], "scenario.volume_scale: expected a number >= 0"),
    (["+experiment=shifts_and_costs", "scenario.agent_groups.specialists.staffing_delta=2"],
     "scenario.agent_groups.specialists.staffing_delta: applies to a staffing table"),
])
def test_bad_relative_changes_name_the_key(overrides, message):
    with pytest.raises(ConfigError) as info:
        _config(*overrides)
    assert str(info.value).startswith(message), str(info.value)
