"""The common figure style (sim.reporting.style) and the report's figures: each draws what it should (lines,
labels, target lines, Pareto front), and every figure is readable at slide size."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from sim.reporting import run_figures as plots, sweep_figures as sweep_plots
from sim.experiments.kpis import VERDICT_BETTER, VERDICT_NONE, VERDICT_WORSE
from sim.reporting.style import (BLACK, FIGSIZE, GREEN, GREY, MIN_FONT_SIZE, PALETTE, VERMILLION, channel_colour)

from .test_plots import TARGETS, make_intervals


def comparison() -> pd.DataFrame:
    rows = []
    for ch, sl, asa in (("phone", (0.05, 0.03, 0.07), (-4.0, -5.0, -3.0)), ("chat", (0.0, -0.01, 0.01), (-1, -2, 0.5)),
                        ("all", (-0.02, -0.03, -0.01), (-3.0, -4.0, -2.0))):
        rows.append({"channel": ch, "metric": "service_level", "diff_mean": sl[0], "diff_ci_low": sl[1],
                     "diff_ci_high": sl[2]})
        rows.append({"channel": ch, "metric": "asa_s", "diff_mean": asa[0], "diff_ci_low": asa[1], "diff_ci_high": asa[2]})
    rows.append({"channel": "all", "metric": "occupancy", "diff_mean": 0.02, "diff_ci_low": 0.01, "diff_ci_high": 0.03})
    return pd.DataFrame(rows)


def points() -> pd.DataFrame:
    """Four sweep points; C is dominated by B (costs more, serves worse)."""
    return pd.DataFrame({
        "label": ["A", "B", "C", "D"], "cost": [100.0, 120.0, 130.0, 150.0], "cost_low": [99, 119, 129, 149],
        "cost_high": [101, 121, 131, 151], "service": [0.6, 0.82, 0.75, 0.9], "service_low": [0.55, 0.8, 0.7, 0.88],
        "service_high": [0.65, 0.84, 0.8, 0.92], "meets_target": [False, True, False, True]})


def sweep_table() -> pd.DataFrame:
    rows = []
    for agents in (10, 12, 14):
        for ch in ("phone", "chat", "all"):
            for metric, value in (("service_level", 0.5 + 0.1 * (agents - 10) / 2), ("asa_s", 40.0 / agents),
                                  ("abandon_rate", 0.01 * (16 - agents))):
                rows.append({"scenario.agents": agents, "channel": ch, "metric": metric, "mean": value,
                             "ci_low": value * 0.95, "ci_high": value * 1.05, "n_reps": 5, "status": "ok", "error": ""})
    return pd.DataFrame(rows)


def group_intervals() -> pd.DataFrame:
    """Two agent groups over four half-hours."""
    rows = []
    for k in range(4):
        for group, staffed in (("generalists", 10 + k), ("chat_team", 3)):
            rows.append({"interval_start_s": 1800.0 * k, "interval": f"{8 + k // 2:02d}:{30 * (k % 2):02d}",
                         "group": group, "occupancy": 0.6 + 0.1 * k, "agents_staffed": staffed})
    return pd.DataFrame(rows)


FIGURES = {
    "occupancy_by_group": lambda: plots.occupancy_by_group(group_intervals()),
    "service_level_by_interval": lambda: plots.service_level_by_interval(make_intervals(), TARGETS, make_intervals()),
    "asa_and_queue_by_interval": lambda: plots.asa_and_queue_by_interval(make_intervals()),
    "abandonment_by_interval": lambda: plots.abandonment_by_interval(make_intervals(), make_intervals()),
    "occupancy_by_interval": lambda: plots.occupancy_by_interval(make_intervals()),
    "paired_differences": lambda: plots.paired_differences(comparison()),
    "kpis_vs_swept": lambda: sweep_plots.kpis_vs_swept(sweep_table(), "scenario.agents", targets={"phone": 0.8}),
    "service_level_heatmap": lambda: sweep_plots.service_level_heatmap(
        sweep_table().assign(b=1), "scenario.agents", "b"),
    "service_level_heatmap, centred on the target": lambda: sweep_plots.service_level_heatmap(
        sweep_table().assign(b=1), "scenario.agents", "b", target=0.6),
    "cost_vs_service": lambda: sweep_plots.cost_vs_service(points(), "Staffed agent-hours (agent-h)", target=0.8),
    "no data": lambda: plots.abandonment_by_interval(make_intervals().iloc[0:0]),
}
ALLOWED = {mcolors.to_hex(c) for c in (*PALETTE, GREY, "#555555", "#cccccc", "#ffffff")}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_figure_is_slide_sized_titled_and_readable(name):
    fig = FIGURES[name]()
    assert isinstance(fig, Figure)
    assert fig.get_size_inches()[0] == pytest.approx(FIGSIZE[0]), "1200 px wide at 120 dpi: a slide's width"
    fig.canvas.draw()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < MIN_FONT_SIZE]
    assert not small, f"text smaller than {MIN_FONT_SIZE} pt: {small}"
    titles = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""]
    assert any(titles), "every figure has a title"
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison or ax.get_label() == "<colorbar>":
            continue
        if ax.get_ylabel() and not name.startswith("service_level_heatmap"):  # its axes are the swept keys
            assert "(" in ax.get_ylabel() and ")" in ax.get_ylabel(), f"y label without a unit: {ax.get_ylabel()!r}"
        for line in ax.get_lines():
            assert mcolors.to_hex(line.get_color()) in ALLOWED, f"{line.get_label()}: off-palette colour"


def test_abandonment_by_interval_draws_each_channel_in_percent_with_the_baseline_dotted():
    table = make_intervals()
    table.loc[table.channel == "email", "abandon_rate"] = 0.02
    base = table.assign(abandon_rate=table["abandon_rate"] * 2)
    fig = plots.abandonment_by_interval(table, base)
    (ax,) = fig.axes
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert {"phone", "chat", "email", "phone baseline", "chat baseline", "email baseline"} <= set(lines)
    assert np.allclose(lines["phone"].get_ydata(), 10.0)
    assert np.allclose(lines["phone baseline"].get_ydata(), 20.0)
    assert lines["phone baseline"].get_linestyle() == ":" and lines["phone"].get_linestyle() == "-"
    assert lines["phone baseline"].get_color() == lines["phone"].get_color() == channel_colour("phone")
    assert ax.get_ylabel() == "Abandoned (% of offered)" and "hh:mm" in ax.get_xlabel()
    assert ax.get_title() == "Abandonment by interval"
    assert "baseline (dotted)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_service_level_by_interval_overlays_a_baseline_and_keeps_its_target_lines():
    fig = plots.service_level_by_interval(make_intervals(), TARGETS, make_intervals())
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert lines["chat baseline"].get_linestyle() == ":"
    target = lines["target 80%: phone in 20 s, chat in 60 s"]
    assert target.get_linestyle() == "--" and np.allclose(target.get_ydata(), 80.0)


def test_a_channel_on_the_same_line_as_another_is_drawn_dashed_over_it_and_named_so():
    table = make_intervals(channels=("phone", "chat", "email", "social"))
    for ch in ("email", "social"):  # both answered in time all day: one line would hide the other
        table.loc[table.channel == ch, "service_level"] = 1.0
    fig = plots.service_level_by_interval(table, {**TARGETS, "social": (1800.0, 0.8)})
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert "email" in lines and "social" not in lines
    social = lines["social (same as email)"]
    assert social.get_linestyle() == "--" and social.get_color() == channel_colour("social", ["phone", "chat", "email",
                                                                                            "social"])
    np.testing.assert_allclose(social.get_ydata(), 100.0)
    assert fig.axes[0].get_ylim()[1] > 100.0, "a line at 100% is drawn whole"
    assert "social (same as email)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_interval_figures_are_the_four_charts_of_a_run():
    figures = plots.interval_figures(make_intervals(), TARGETS)
    assert list(figures) == ["service_level_by_interval", "asa_and_queue_by_interval", "abandonment_by_interval",
                             "occupancy_by_interval"]
    assert "backlog" in figures["asa_and_queue_by_interval"].axes[0].get_title()


def test_group_intervals_add_a_chart_of_each_groups_occupancy_and_staffing():
    figures = plots.interval_figures(make_intervals(), TARGETS, group_intervals=group_intervals())
    assert list(figures)[-1] == "occupancy_by_group"
    top, bottom = figures["occupancy_by_group"].axes
    lines = {ln.get_label(): ln for ln in top.get_lines()}
    assert set(lines) == {"generalists", "chat team"}, "one line per group, named in words"
    np.testing.assert_allclose(lines["generalists"].get_ydata(), [60, 70, 80, 90])
    staffed = [ln.get_ydata() for ln in bottom.get_lines()]
    assert any(np.allclose(y, [10, 11, 12, 13]) for y in staffed)


def test_paired_differences_marks_each_channel_by_its_verdict_around_zero():
    fig = plots.paired_differences(comparison())
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in visible] == ["Δ Service level (pp)", "Δ Average speed of answer (s)",
                                                   "Δ Occupancy (pp)"]
    sl = visible[0]
    assert [t.get_text() for t in sl.get_yticklabels()] == ["whole centre", "chat", "phone"]
    zero = [ln for ln in sl.get_lines() if np.allclose(ln.get_xdata(), 0.0) and ln.get_linestyle() == "-"
            and len(ln.get_xdata()) == 2]
    assert zero, "a vertical line at 0"
    markers = {(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])): ln for ln in sl.get_lines() if ln.get_marker() not in
               ("None", None, "")}
    assert mcolors.to_hex(markers[(5.0, 2.0)].get_color()) == mcolors.to_hex(GREEN)  # phone: better
    assert mcolors.to_hex(markers[(0.0, 1.0)].get_color()) == mcolors.to_hex(GREY)  # chat: no difference
    assert markers[(0.0, 1.0)].get_fillstyle() == "none"
    assert mcolors.to_hex(markers[(-2.0, 0.0)].get_color()) == mcolors.to_hex(VERMILLION)  # all: worse
    lo, hi = sl.get_xlim()
    assert lo == pytest.approx(-hi), "zero in the middle"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == [VERDICT_BETTER, VERDICT_WORSE, VERDICT_NONE]


def test_pareto_front_keeps_points_nothing_beats():
    front = sweep_plots.pareto_front([100, 120, 130, 150, np.nan, 120], [0.6, 0.82, 0.75, 0.9, 0.99, 0.82])
    assert front.tolist() == [True, True, False, True, False, True]
    assert sweep_plots.pareto_front([], []).tolist() == []


def test_cost_vs_service_joins_the_front_marks_targets_and_labels_points():
    fig = sweep_plots.cost_vs_service(points(), "Staffed agent-hours (agent-h)", target=0.8)
    (ax,) = fig.axes
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    front = lines["Pareto front (cheapest for its service)"]
    assert front.get_xdata().tolist() == [100.0, 120.0, 150.0], "C is dominated by B"
    assert np.allclose(front.get_ydata(), [60.0, 82.0, 90.0])
    target = lines["target 80%"]
    assert target.get_linestyle() == "--" and np.allclose(target.get_ydata(), 80.0)
    assert mcolors.to_hex(target.get_color()) == mcolors.to_hex(BLACK)
    assert sorted(t.get_text() for t in ax.texts) == ["A", "B", "C", "D"]
    hollow = [ln for ln in ax.get_lines() if ln.get_marker() == "o" and ln.get_markerfacecolor() == "white"
              and len(ln.get_xdata()) == 1]
    assert sorted(float(ln.get_xdata()[0]) for ln in hollow) == [100.0, 130.0], "points missing a target are hollow"
    assert ax.get_xlabel() == "Staffed agent-hours (agent-h)" and ax.get_ylabel() == "Service level (%)"
    assert ax.get_ylim()[1] == 100.0


def test_cost_vs_service_without_points_says_no_data():
    fig = sweep_plots.cost_vs_service(points().iloc[0:0], "cost")
    assert "no data" in [t.get_text() for t in fig.findobj(Text)]


def test_kpis_vs_swept_draws_target_lines_and_the_whole_centre_only_with_several_channels():
    fig = sweep_plots.kpis_vs_swept(sweep_table(), "scenario.agents", targets={"phone": 0.8, "chat": 0.7})
    sl = fig.axes[0]
    labels = [ln.get_label() for ln in sl.get_lines()]
    assert labels == ["phone", "chat", "whole centre", "target 80%: phone", "target 70%: chat"]
    target = sl.get_lines()[3]
    assert target.get_linestyle() == "--" and np.allclose(target.get_ydata(), 80.0)
    shared = sweep_plots.kpis_vs_swept(sweep_table(), "scenario.agents", targets={"phone": 0.8, "chat": 0.8})
    assert [ln.get_label() for ln in shared.axes[0].get_lines()][3:] == ["target 80%: phone, chat"], \
        "one line for a target two channels share, not one hidden under the other"
    one = sweep_table()
    one = one[one.channel == "phone"]
    assert [ln.get_label() for ln in sweep_plots.kpis_vs_swept(one, "scenario.agents").axes[0].get_lines()] == ["phone"]


# ------------------------------------------------------------------ nothing clipped

LONG_KEY = "scenario.agent_groups.generalists.staffing_delta"


def _options_figure():
    from sim.reporting.option_figures import options_figure

    rows = []
    for i, option in enumerate(["baseline", "+1 generalist", "Better chatbot, 2 fewer generalists"]):
        for ch, metric, value in (("phone", "service_level", 0.78 + i / 50), ("chat", "service_level", 0.9),
                                  ("email", "service_level", 0.95), ("phone", "asa_s", 10.0 - i),
                                  ("chat", "asa_s", 12.0), ("email", "asa_s", 5000.0), ("phone", "abandon_rate", 0.05),
                                  ("chat", "abandon_rate", 0.04), ("all", "occupancy", 0.9),
                                  ("all", "total_cost", 15000.0 + 300 * i)):
            rows.append({"option": option, "channel": ch, "metric": metric, "mean": value, "ci_low": value * 0.97,
                         "ci_high": min(value * 1.03, 1.0) if metric != "asa_s" and value <= 1 else value * 1.03})
    channels = {"phone": (20.0, 0.8, False), "chat": (60.0, 0.8, False), "email": (14400.0, 0.9, True)}
    return options_figure(pd.DataFrame(rows), ["baseline", "+1 generalist", "Better chatbot, 2 fewer generalists"],
                          channels, "total_cost", "EUR", "Options compared: Volume up 10%: 1, 3 or 5 more generalists?")


CLIPPABLE = {
    **FIGURES,
    "asa_and_queue_by_interval, email in hours": lambda: plots.asa_and_queue_by_interval(make_intervals(),
                                                                                         deferrable=["email"]),
    "paired_differences, email in hours": lambda: plots.paired_differences(
        pd.concat([comparison(), pd.DataFrame([{"channel": "email", "metric": "asa_s", "diff_mean": -600.0,
                                                "diff_ci_low": -900.0, "diff_ci_high": -300.0}])]),
        deferrable=["email"]),
    "kpis_vs_swept, a long key": lambda: sweep_plots.kpis_vs_swept(sweep_table().rename(
        columns={"scenario.agents": LONG_KEY}), LONG_KEY, targets={"phone": 0.8}),
    "service_level_heatmap, long keys": lambda: sweep_plots.service_level_heatmap(
        sweep_table().rename(columns={"scenario.agents": LONG_KEY}).assign(
            **{"scenario.contact_types.billing_chat.self_service.containment": 0.25}),
        LONG_KEY, "scenario.contact_types.billing_chat.self_service.containment", channel="all"),
    "options": _options_figure,
}


@pytest.mark.parametrize("name", sorted(CLIPPABLE))
def test_no_text_of_any_figure_is_clipped(name):
    """Every title, label, tick label and legend entry lies inside the saved canvas (as saved:
    layout settled), so nothing a reader needs is cut at an edge."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from sim.reporting.style import DPI, png_bytes

    fig = CLIPPABLE[name]()
    png_bytes(fig)  # as saved: layout settled and frozen
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    renderer = canvas.get_renderer()
    drawn = fig.get_tightbbox(renderer)  # inches: what is drawn (ticks out of view are not)
    width, height = fig.get_size_inches()
    tolerance = 1.0 / DPI  # a pixel
    inside = (drawn.x0 >= -tolerance and drawn.y0 >= -tolerance and drawn.x1 <= width + tolerance
              and drawn.y1 <= height + tolerance)
    outside = []
    if not inside:
        for text in fig.findobj(Text):
            box = text.get_window_extent(renderer)
            if text.get_visible() and text.get_text().strip() and (
                    box.x0 < -1 or box.y0 < -1 or box.x1 > fig.bbox.width + 1 or box.y1 > fig.bbox.height + 1):
                outside.append(text.get_text())
        outside = outside or [f"drawn area {drawn} beyond {width} x {height} in"]
    assert not outside, f"clipped at the figure's edge: {outside}"


def test_the_heatmap_diverges_at_the_target_so_near_values_differ_in_colour():
    table = sweep_table().assign(b=1)
    fig = sweep_plots.service_level_heatmap(table, "scenario.agents", "b", channel="phone", target=0.6)
    image = fig.axes[0].get_images()[0]
    norm = image.norm
    assert norm(60.0) == pytest.approx(0.5), "the target is the middle (white) of the scale"
    assert norm(50.0) < 0.5 < norm(70.0), "below the target one hue, above it the other"
    assert norm(50.0) == pytest.approx(1 - norm(70.0)), "equal distances from the target, equal strength"
    plain = sweep_plots.service_level_heatmap(table, "scenario.agents", "b", channel="phone")
    assert plain.axes[0].get_images()[0].norm.vmin == pytest.approx(50.0), "the scale spans the values, not 0-100"
    assert "target 60%" in fig.axes[1].get_ylabel()


def test_key_paths_read_as_words_in_figures():
    from sim.reporting.labels import key_label

    assert key_label("scenario.agent_groups.generalists.staffing_delta") == "Generalists added (agents)"
    assert key_label("scenario.agent_groups.generalists.staffing") == "Generalists on duty (agents)"
    assert key_label("scenario.contact_types.billing_chat.self_service.containment") == \
        "Billing chat self-service containment (share)"
    assert key_label("+scenario.volume_scale") == "Volume (x forecast)"
    assert key_label("scenario.something.new_key") == "Something new key"
    from sim.reporting.labels import override_words

    assert override_words("scenario.agent_groups.generalists.staffing_delta=-2") == "Generalists added (agents): -2"
    assert override_words("scenario.routing.agent_selection=skill_rank") == "Agent selection: skill rank"
    assert override_words("scenario.contact_types.billing.overflow=null") == "Billing overflow to other groups: none"
    assert override_words("~scenario.contact_types.billing.overflow") == "Billing overflow to other groups: removed"
    assert override_words("scenario.contact_types.sales.after_call_work.mean_s=15") == \
        "Sales after-call work (mean, s): 15", "each option says which type's wrap-up it changes"
    assert override_words("scenario.routing.contact_scores.sales.base=60") == "Sales base score: 60"
    assert key_label("scenario.contact_types.billing.balking.max_wait_s") == "Billing balking max wait (s)", \
        "a key of a type, group or channel no pattern knows still names whose key it is"
    assert key_label("scenario.agent_groups.vendor.concurrency.inflation") == "Vendor concurrency inflation"
    fig = sweep_plots.kpis_vs_swept(sweep_table().rename(columns={"scenario.agents": "scenario.agent_groups.g.staffing"}),
                                    "scenario.agent_groups.g.staffing")
    assert fig.axes[-1].get_xlabel() == "G on duty (agents)"
    assert "scenario." not in fig.axes[0].get_title()
