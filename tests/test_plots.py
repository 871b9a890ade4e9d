"""Tests for sim.reporting.run_figures: artists, labels, NaN/empty handling and reproducible PNG output."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.reporting.run_figures import (PALETTE, asa_and_queue_by_interval, occupancy_by_interval, save_figures,
                                       service_level_by_interval)

TARGETS = {"phone": (20.0, 0.8), "chat": (60.0, 0.8), "email": (14400.0, 0.9)}


def make_intervals(n_intervals: int = 4, channels: tuple[str, ...] = ("phone", "chat", "email"),
                   nan_interval: int | None = 1) -> pd.DataFrame:
    """Synthetic intervals table: 30-min intervals from 08:00, one row per interval x channel
    plus an "all" row; interval ``nan_interval`` has nothing offered on "chat" (NaN metrics)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_intervals):
        start = 8 * 3600 + 1800 * i
        label = f"{start // 3600:02d}:{start % 3600 // 60:02d}"
        for ch in channels:
            empty = ch == "chat" and i == nan_interval
            rows.append(dict(
                interval_start_s=float(start), interval=label, channel=ch,
                offered=0.0 if empty else 50.0, answered=0.0 if empty else 45.0,
                abandoned=0.0 if empty else 5.0,
                service_level=np.nan if empty else rng.uniform(0.6, 0.95),
                asa_s=np.nan if empty else rng.uniform(5, 60),
                abandon_rate=np.nan if empty else 0.1,
                mean_queue_length=0.0 if empty else rng.uniform(0, 4),
                occupancy=np.nan, agents_staffed=np.nan,
            ))
        rows.append(dict(
            interval_start_s=float(start), interval=label, channel="all",
            offered=150.0, answered=135.0, abandoned=15.0, service_level=0.8, asa_s=20.0,
            abandon_rate=0.1, mean_queue_length=3.0,
            occupancy=rng.uniform(0.6, 0.9), agents_staffed=10.0 + i,
        ))
    return pd.DataFrame(rows)


def data_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def test_service_level_has_one_line_per_channel_plus_one_target_line_each():
    fig = service_level_by_interval(make_intervals(), TARGETS)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    labels = [ln.get_label() for ln in data_lines(ax)]
    # phone and chat share the 80% target: one line naming both, not one hidden under the other
    assert labels == ["phone", "chat", "email", "target 80%: phone in 20 s, chat in 60 s", "target 90%: email in 4 h"]
    assert "all" not in labels
    assert ax.get_title() == "Service level by interval"


def test_service_level_target_line_is_dashed_at_target_percent_in_channel_colour():
    fig = service_level_by_interval(make_intervals(), TARGETS)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    shared = lines["target 80%: phone in 20 s, chat in 60 s"]
    assert np.allclose(shared.get_ydata(), 80.0) and shared.get_linestyle() == "--"
    assert shared.get_color() not in (lines["phone"].get_color(), lines["chat"].get_color())
    email = lines["target 90%: email in 4 h"]
    assert np.allclose(email.get_ydata(), 90.0) and email.get_linestyle() == "--"
    assert email.get_color() == lines["email"].get_color() == PALETTE[2], "a target of one channel is in its colour"


def test_service_level_is_plotted_in_percent_with_0_to_100_axis_and_units():
    table = make_intervals()
    fig = service_level_by_interval(table, TARGETS)
    ax = fig.axes[0]
    phone = next(ln for ln in ax.get_lines() if ln.get_label() == "phone")
    expected = table.loc[table.channel == "phone", "service_level"].to_numpy() * 100
    assert np.allclose(phone.get_ydata(), expected)
    assert ax.get_ylim() == (0.0, 102.0), "0-100% with room for a line at 100% to be drawn whole"
    assert max(ax.get_yticks()[ax.get_yticks() <= 102.0]) == 100.0
    assert "(%)" in ax.get_ylabel()
    assert "hh:mm" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["08:00", "08:30", "09:00", "09:30"]


def test_service_level_nan_interval_becomes_gap_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = service_level_by_interval(make_intervals(nan_interval=1), TARGETS)
        fig.canvas.draw()
    chat = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "chat")
    assert np.isnan(chat.get_ydata()[1])
    assert np.isfinite(chat.get_ydata()[[0, 2, 3]]).all()


def test_service_level_channel_without_target_gets_no_target_line():
    fig = service_level_by_interval(make_intervals(), {"phone": (20.0, 0.8)})
    labels = [ln.get_label() for ln in data_lines(fig.axes[0])]
    assert labels == ["phone", "chat", "email", "target 80%: phone in 20 s"]


def test_many_intervals_get_thinned_tick_labels():
    fig = service_level_by_interval(make_intervals(n_intervals=48, nan_interval=None), TARGETS)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert 2 <= len(ticks) <= 12
    assert ticks[0] == "08:00"


def test_asa_and_queue_has_two_stacked_axes_sharing_x_with_units():
    fig = asa_and_queue_by_interval(make_intervals())
    top, bottom = fig.axes
    assert top.get_shared_x_axes().joined(top, bottom)
    assert [ln.get_label() for ln in top.get_lines()] == ["phone", "chat", "email"]
    assert [ln.get_label() for ln in bottom.get_lines()] == ["phone", "chat", "email"]
    assert top.get_ylabel() == "Speed of answer (s)"
    assert "(contacts)" in bottom.get_ylabel()
    assert "hh:mm" in bottom.get_xlabel()
    assert "Speed of answer" in top.get_title()
    # same channel, same colour, in both panels and in the service-level figure
    assert top.get_lines()[1].get_color() == bottom.get_lines()[1].get_color() == PALETTE[1]


def test_deferrable_waits_get_their_own_axis_in_hours_never_the_live_channels_seconds():
    table = make_intervals()
    fig = asa_and_queue_by_interval(table, deferrable=["email"])
    live, email, backlog = fig.axes
    assert [ln.get_label() for ln in live.get_lines()] == ["phone", "chat"]
    assert live.get_ylabel() == "Speed of answer,\nlive channels (s)"
    (line,) = email.get_lines()
    assert line.get_label() == "email" and email.get_ylabel().endswith("email (h)")
    expected = table.loc[table.channel == "email", "asa_s"].to_numpy() / 3600.0
    assert np.allclose(line.get_ydata(), expected)
    assert [ln.get_label() for ln in backlog.get_lines()] == ["phone", "chat", "email"]
    assert plots_interval_figures(table)["asa_and_queue_by_interval"].axes[1].get_ylabel().endswith("(h)"), \
        "a channel answered in 4 h is deferrable when the figure is not told"


def plots_interval_figures(table):
    from sim.reporting.run_figures import interval_figures

    return interval_figures(table, TARGETS)


def test_occupancy_uses_all_rows_line_in_percent_and_staffing_bars_on_twin_axis():
    table = make_intervals()
    fig = occupancy_by_interval(table)
    ax, twin = fig.axes
    (line,) = ax.get_lines()
    expected = table.loc[table.channel == "all", "occupancy"].to_numpy() * 100
    assert line.get_label() == "occupancy"
    assert np.allclose(line.get_ydata(), expected)
    assert [p.get_height() for p in twin.patches] == [10.0, 11.0, 12.0, 13.0]
    assert ax.get_ylabel() == "Occupancy (%)"
    assert "(agents)" in twin.get_ylabel()
    assert "Occupancy" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["occupancy", "agents staffed"]


def test_occupancy_tolerates_nan_staffing_and_occupancy():
    table = make_intervals()
    all_rows = table.channel == "all"
    table.loc[all_rows & (table.interval == "08:30"), ["occupancy", "agents_staffed"]] = np.nan
    fig = occupancy_by_interval(table)
    fig.canvas.draw()
    assert len(fig.axes[1].patches) == 3
    assert np.isnan(fig.axes[0].get_lines()[0].get_ydata()[1])


def all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


@pytest.mark.parametrize("make_figure", [
    lambda t: service_level_by_interval(t, TARGETS),
    asa_and_queue_by_interval,
    occupancy_by_interval,
])
def test_empty_table_gives_no_data_figure(make_figure):
    empty = make_intervals().iloc[0:0]
    fig = make_figure(empty)
    assert isinstance(fig, Figure)
    assert "no data" in all_texts(fig)
    fig.canvas.draw()


def test_table_without_matching_channels_gives_no_data_figure():
    only_all = make_intervals()
    only_all = only_all[only_all.channel == "all"]
    assert "no data" in all_texts(service_level_by_interval(only_all, TARGETS))
    no_all = make_intervals()
    no_all = no_all[no_all.channel != "all"]
    assert "no data" in all_texts(occupancy_by_interval(no_all))


def test_save_figures_writes_named_pngs_byte_identical_on_resave(tmp_path):
    # occupancy (twin axes) is the layout that takes longest to settle; asa_queue is
    # left out only to keep the suite fast.
    table = make_intervals()
    figures = {
        "service_level": service_level_by_interval(table, TARGETS),
        "occupancy": occupancy_by_interval(table),
        "empty": occupancy_by_interval(table.iloc[0:0]),
    }
    first = save_figures(figures, tmp_path / "a")
    second = save_figures(figures, tmp_path / "b")
    assert [p.name for p in first] == ["service_level.png", "occupancy.png", "empty.png"]
    for p, q in zip(first, second):
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data == q.read_bytes()
        assert b"Software" not in data


def test_save_figures_rejects_names_that_are_paths(tmp_path):
    with pytest.raises(ValueError):
        save_figures({"../escape": Figure()}, tmp_path)
