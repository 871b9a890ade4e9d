"""Aggregating as the model runs gives the same KPIs as computing them from the full contact log;
parallel replications and the streamed log do not change a number."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import run_experiment, simulate
from sim.experiments.contact_log import ContactLogWriter, contacts_frame
from sim.model.metrics import LIVE_METRICS, WAIT_METRICS, replication_intervals, replication_summary

from .conftest import REPO, centre_config


def _default_config(**run):
    raw = yaml.safe_load((REPO / "configs/scenario/default.yaml").read_text())
    raw.pop("preset")
    return centre_config(raw, **run)


def _kpis_from_log(log: pd.DataFrame, thresholds: dict[str, float], short_abandon_s: float) -> dict[str, float]:
    """The metric definitions of the README, computed directly from per-contact rows."""
    callback = log.callback.isin(["waiting", "reached", "unreached"])  # accepted a callback: not offered
    in_bot = (log.outcome == "in_system") & (log.bot_time_s > 0) & log.wait_s.isna() & ~callback  # in self-service
    offered = log[~log.outcome.isin(["blocked", "deflected"]) & ~in_bot & ~callback]
    placed = log[log.callback.isin(["reached", "unreached"])]
    bot_done = log[(log.bot_time_s > 0) & ~in_bot]
    answered = offered[offered.answered]
    abandoned = offered[(offered.outcome == "abandoned") & ~offered.answered]
    within = (answered.wait_s <= answered.channel.map(thresholds)).sum()
    left = log[log.outcome != "in_system"]
    handles = pd.concat([left.handle_time_s, left.transfer_handle_time_s]).dropna()
    esc = log[log.escalated & log.transfer_handle_time_s.notna()]
    done = log[log.outcome == "answered"]

    def ratio(a, b):
        return a / b if b else math.nan

    return {
        "arrivals": len(log), "offered": len(offered), "answered": len(answered), "abandoned": len(abandoned),
        "blocked": int((log.outcome == "blocked").sum()), "in_system": int((log.outcome == "in_system").sum()),
        "service_level": ratio(within, len(offered)),
        "asa_s": answered.wait_s.mean() if len(answered) else math.nan,
        "mean_wait_s": offered.wait_s.mean() if len(offered) else math.nan,
        "abandon_rate": ratio(len(abandoned), len(offered)),
        "p_wait": ratio((offered.wait_s > 0).sum(), len(offered)),
        "aht_s": handles.mean() if len(handles) else math.nan,
        "escalation_rate": ratio((answered.escalated).sum(), len(answered)),
        "transfer_asa_s": esc.transfer_wait_s.mean() if len(esc) else math.nan,
        "end_to_end_time_s": (done.end_time_s - done.arrival_time_s).mean() if len(done) else math.nan,
        "deflected": int((log.outcome == "deflected").sum()),
        "containment_rate": ratio((bot_done.outcome == "deflected").sum(), len(bot_done)),
        "bot_handoffs": int((bot_done.outcome != "deflected").sum()),
        "bot_time_s": bot_done.bot_time_s.mean() if len(bot_done) else math.nan,
        "retrials": int((log.attempt == "retrial").sum()),
        "unique_customers": int((log.attempt == "first").sum()),
        "repeat_contacts": int((log.attempt == "repeat").sum()),
        "repeat_rate": ratio((log.attempt == "repeat").sum(), len(log)),
        "callbacks_offered": int((log.callback != "none").sum()),
        "callbacks_accepted": int(callback.sum()),
        "callback_wait_s": placed.wait_s.mean() if len(placed) else math.nan,
        "callback_success": ratio((placed.callback == "reached").sum(), len(placed)),
        "overflowed": int(log.overflowed.sum()),
    }


@pytest.mark.parametrize("drain", [True, False])
def test_tallies_give_the_same_kpis_as_the_contact_log(drain):
    config = _default_config(warmup_hours=1.25, horizon_hours=11.5, drain=drain, seed=8)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    log = contacts_frame(result.contacts, 0, result.type_names, result.channel_names, result.group_names)
    window = log[(log.arrival_time_s >= config.run.warmup_s) & (log.arrival_time_s < config.run.horizon_s)]
    thresholds = {name: ch.service_level_threshold_s for name, ch in config.scenario.channels.items()}
    summary = replication_summary(result, config.scenario, config.run)
    live = [name for name, ch in config.scenario.channels.items() if not ch.deferrable]
    assert live == ["phone", "chat"], "email (4 h) is deferrable: waits over the whole centre are the live row's"
    for channel in list(thresholds) + ["live", "all"]:
        part = (window if channel == "all" else window[window.channel.isin(live)] if channel == "live"
                else window[window.channel == channel])
        expected = _kpis_from_log(part, thresholds, config.run.short_abandon_s)
        for metric, value in expected.items():
            if channel == "all" and metric in WAIT_METRICS:
                assert (channel, metric) not in summary, f"all {metric} would average email hours with call seconds"
                continue
            if channel == "live" and metric not in LIVE_METRICS:
                continue  # the live row is the waits' (and their volumes'); the rest is in all
            got = summary[(channel, metric)]
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value, rel=1e-9, abs=1e-9), \
                f"{channel} {metric}: tally {got} != log {value}"


def test_parallel_replications_give_identical_results(tmp_path):
    serial = run_experiment(_default_config(replications=4, workers=1), contact_log=tmp_path / "a.parquet")
    parallel = run_experiment(_default_config(replications=4, workers=2), contact_log=tmp_path / "b.parquet")
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)
    pd.testing.assert_frame_equal(serial.intervals, parallel.intervals)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert not list(tmp_path.glob("*.rep*")), "part files are merged and removed"


def test_streamed_log_in_small_chunks_equals_the_in_memory_log(tmp_path):
    config = _default_config(seed=4)
    path = tmp_path / "log.parquet"
    sink = ContactLogWriter(path, 0, tuple(config.scenario.contact_types), tuple(config.scenario.channels),
                            tuple(config.scenario.agent_groups), chunk_rows=500)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True, sink=sink)
    sink.close()
    import pyarrow.parquet as pq

    assert pq.ParquetFile(path).num_row_groups > 2, "written in chunks"
    streamed = pd.read_parquet(path).sort_values("contact_id").reset_index(drop=True)
    in_memory = contacts_frame(result.contacts, 0, result.type_names, result.channel_names, result.group_names)
    pd.testing.assert_frame_equal(streamed, in_memory, check_dtype=False)
    assert np.array_equal(np.sort(streamed.contact_id.to_numpy()), np.arange(len(streamed)))


def test_vectorised_interval_table_matches_each_interval_computed_alone():
    from sim.model.metrics import INTERVAL_METRICS, _window_kpis, interval_bounds, live_channels, replication_intervals

    config = _default_config(warmup_hours=1.25, horizon_hours=11.75, drain=False, seed=2)
    result = simulate(config.scenario, config.run, 0)
    columns = replication_intervals(result, config.scenario, config.run)
    bounds = interval_bounds(config.scenario, config.run)
    assert bounds[0][0] == 1.5 * 3600 and bounds[-1] == (11.5 * 3600, 11.75 * 3600)
    channels = list(result.channel_names) + ["live", "all"]
    assert len(columns["channel"]) == len(bounds) * len(channels)
    live = live_channels(config.scenario, result.channel_names)
    row = 0
    for lo, hi in bounds:
        alone = _window_kpis(result, config.run, lo, hi, live)
        for channel in channels:
            assert columns["interval_start_s"][row] == lo and columns["channel"][row] == channel
            for metric in INTERVAL_METRICS:
                expected = alone[channel].get(metric, math.nan)
                got = columns[metric][row]
                assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-12), \
                    f"{lo} {channel} {metric}: {got} != {expected}"
            row += 1


@pytest.mark.parametrize("drain", [True, False])
def test_keeping_the_contact_log_changes_no_number(drain):
    """With a sink the model takes its general tally path; without, a fast path: same tallies."""
    config = _default_config(warmup_hours=1.25, horizon_hours=11.5, drain=drain, seed=8)
    plain = simulate(config.scenario, config.run, 0)
    logged = simulate(config.scenario, config.run, 0, keep_contacts=True)
    np.testing.assert_array_equal(plain.segments.tally, logged.segments.tally)
    np.testing.assert_array_equal(plain.segments.queue_area, logged.segments.queue_area)
    np.testing.assert_array_equal(plain.segments.busy_area, logged.segments.busy_area)


@pytest.mark.parametrize("drain", [True, False])
def test_per_type_tallies_give_the_same_kpis_as_the_contact_log(drain):
    """Each contact type's KPIs (``types.csv``) and per-interval KPIs (``type_intervals.csv``) are those
    of its contacts in the log: a contact counts in the type it arrived as, escalations included."""
    from sim.model.metrics import TYPE_INTERVAL_METRICS, TYPE_METRICS, replication_type_intervals, replication_types

    config = _default_config(warmup_hours=1.25, horizon_hours=11.5, drain=drain, seed=8)
    result = simulate(config.scenario, config.run, 0, keep_contacts=True)
    log = contacts_frame(result.contacts, 0, result.type_names, result.channel_names, result.group_names)
    window = log[(log.arrival_time_s >= config.run.warmup_s) & (log.arrival_time_s < config.run.horizon_s)]
    thresholds = {name: ch.service_level_threshold_s for name, ch in config.scenario.channels.items()}
    types = replication_types(result, config.run)
    assert set(types) == {(t, m) for t in result.type_names for m in TYPE_METRICS}
    escalated = 0
    for name in result.type_names:
        mine = window[window.contact_type == name]
        if mine.empty:  # the escalation-only type: its contacts arrived as technical calls and count there
            assert types[(name, "offered")] == 0 and math.isnan(types[(name, "service_level")])
            continue
        expected = _kpis_from_log(mine, thresholds, config.run.short_abandon_s)
        escalated += int(mine.escalated.sum())
        for metric in TYPE_METRICS:
            got, value = types[(name, metric)], expected[metric]
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value, rel=1e-9, abs=1e-9), \
                f"{name} {metric}: tally {got} != log {value}"
    assert escalated > 0, "the default centre escalates technical calls: the check covers escalations"
    columns = replication_type_intervals(result, config.scenario, config.run)
    rows = pd.DataFrame(columns)
    interval = config.scenario.interval_s
    for (start, name), row in rows.set_index(["interval_start_s", "contact_type"]).iterrows():
        part = window[(window.contact_type == name) & (window.arrival_time_s >= start)
                      & (window.arrival_time_s < start + interval)]
        assert row["channel"] == config.scenario.contact_types[name].channel
        if part.empty:  # e.g. the escalation-only type: its contacts arrived as technical calls
            assert row["offered"] == 0 and math.isnan(row["service_level"])
            continue
        expected = _kpis_from_log(part, thresholds, config.run.short_abandon_s)
        for metric in TYPE_INTERVAL_METRICS:
            got, value = row[metric], expected[metric]
            assert (math.isnan(got) and math.isnan(value)) or got == pytest.approx(value, rel=1e-9, abs=1e-9), \
                f"{start} {name} {metric}: tally {got} != log {value}"


def test_per_type_tallies_add_up_to_their_channels():
    """The channel tallies are the sums of their contact types' (counts exactly)."""
    from sim.engine.records import TALLY_FIELDS

    config = _default_config(seed=3)
    result = simulate(config.scenario, config.run, 0)
    seg = result.segments
    summed = np.zeros_like(seg.tally)
    for i, name in enumerate(result.type_names):
        summed[:, result.channel_names.index(config.scenario.contact_types[name].channel)] += seg.type_tally[:, i]
    counts = [i for i, f in enumerate(TALLY_FIELDS) if not f.endswith("_s") and f not in ("csat_sum",)]
    np.testing.assert_array_equal(summed[..., counts], seg.tally[..., counts])
    np.testing.assert_allclose(summed, seg.tally, rtol=1e-12)


def test_group_intervals_add_up_to_the_centre():
    """Agents staffed per group and interval add up to the centre's; their busy time (occupancy x staffed)
    adds up to the centre's occupancy."""
    from sim.model.metrics import replication_group_intervals

    config = _default_config(warmup_hours=1.25, horizon_hours=11.75, drain=False, seed=2)
    result = simulate(config.scenario, config.run, 0)
    centre = pd.DataFrame(replication_intervals(result, config.scenario, config.run))
    centre = centre[centre.channel == "all"].set_index("interval_start_s")
    groups = pd.DataFrame(replication_group_intervals(result, config.scenario, config.run))
    assert list(dict.fromkeys(groups.group)) == list(result.group_names)
    staffed = groups.groupby("interval_start_s").agents_staffed.sum()
    busy = (groups.occupancy.fillna(0) * groups.agents_staffed).groupby(groups.interval_start_s).sum()
    np.testing.assert_allclose(staffed.to_numpy(), centre.agents_staffed.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose((busy / staffed).to_numpy(), centre.occupancy.to_numpy(), rtol=1e-9)
    assert groups.occupancy.between(0, 1).all()
