"""``python -m sim.report``: what a report says about runs, comparisons, sweeps and studies, and that a
failed or empty run gives a report that says so instead of a crash."""

from __future__ import annotations

import base64
import importlib
import math
import re
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from sim import compare as compare_mod
from sim import sweep as sweep_mod
from sim.experiments.kpis import VERDICT_BETTER, VERDICT_NONE, VERDICT_UNKNOWN, VERDICT_WORSE, kpi, verdict
from sim.report import folder_kind, main
from sim.reporting.run_page import intervals_meeting, load_run
from sim.reporting.document import Image, Page, Paragraph, Table, render_html, render_markdown
from sim.reporting.wording import diff_cell, kpi_cell

from .conftest import REPO
from .report_helpers import base_and_option, default_raw, more_generalists, run_folder

sys.path.insert(0, str(REPO / "experiments"))


# ------------------------------------------------------------------ verdicts and words


@pytest.mark.parametrize("metric, low, high, expected", [
    ("service_level", 0.01, 0.05, VERDICT_BETTER),
    ("service_level", -0.05, -0.01, VERDICT_WORSE),
    ("service_level", -0.01, 0.02, VERDICT_NONE),
    ("asa_s", -9.0, -2.0, VERDICT_BETTER),
    ("abandon_rate", 0.001, 0.01, VERDICT_WORSE),
    ("agent_hours", 10.0, 12.0, VERDICT_WORSE),
    ("occupancy", 0.01, 0.02, "significantly higher"),
    ("occupancy", -0.02, -0.01, "significantly lower"),
    ("service_level", math.nan, math.nan, VERDICT_UNKNOWN),
    ("service_level", 0.0, 0.0, VERDICT_NONE),
])
def test_verdict_follows_the_interval_and_the_kpis_direction(metric, low, high, expected):
    assert verdict(metric, low, high) == expected


def test_with_verdicts_adds_one_verdict_per_row():
    table = pd.DataFrame({"channel": ["phone", "phone"], "metric": ["service_level", "asa_s"],
                          "diff_ci_low": [0.02, -1.0], "diff_ci_high": [0.04, 2.0]})
    assert compare_mod.with_verdicts(table)["verdict"].tolist() == [VERDICT_BETTER, VERDICT_NONE]


def test_cells_show_means_and_intervals_in_the_kpis_units():
    assert kpi_cell("service_level", 0.832, 0.805, 0.859) == "83.2% [80.5–85.9]", "a share: its bounds"
    assert kpi_cell("asa_s", 7.04, 5.84, 8.24) == "7.0 ± 1.2"
    assert kpi_cell("asa_s", 7.0, math.nan, math.nan) == "7.0"
    assert kpi_cell("sl_risk", 0.1, 0.02, 0.4) == "10% [2–40]"
    assert kpi_cell("asa_s", math.nan, math.nan, math.nan) == "–"
    assert kpi_cell("asa_s", 5400.0, 3600.0, 7200.0, hours=True) == "1.50 h ± 0.50", "a deferrable channel's wait"
    assert diff_cell("service_level", 0.094, 0.078, 0.109) == "+9.4 pp [+7.8, +10.9]"
    assert diff_cell("asa_s", -4.0, -4.7, -3.4) == "-4.0 s [-4.7, -3.4]"
    assert kpi("service_level").label == "Service level (%)"


def test_intervals_meeting_counts_intervals_with_contacts_at_or_above_target():
    intervals = pd.DataFrame({"channel": ["phone"] * 4 + ["chat"] * 2,
                              "service_level": [0.9, 0.8, 0.7, math.nan, 0.5, 0.95]})
    assert intervals_meeting(intervals, {"phone": (20, 0.8), "chat": (60, 0.8), "email": (14400, 0.9)}) == {
        "phone": (2, 3), "chat": (1, 2)}


# ------------------------------------------------------------------ the document


def test_html_escapes_text_and_embeds_images_and_markdown_links_them():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [0, 1])
    from sim.reporting.style import png_bytes

    page = Page("A <b>page</b>", [Paragraph("x < y & z", "summary"), Table(["KPI", "value"], [["a|b", "1.0 s ± 0.1"]]),
                                  Image("fig", fig, "a figure")])
    html = render_html("Title", [page], {"fig": png_bytes(fig)})
    assert "<b>page</b>" not in html and "A &lt;b&gt;page&lt;/b&gt;" in html
    assert "x &lt; y &amp; z" in html
    (data,) = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert '<td class="num">1.0 s ± 0.1</td>' in html, "numbers are right-aligned"
    md = render_markdown("Title", [page])
    assert "| a\\|b | 1.0 s ± 0.1 |" in md and "|---|---:|" in md
    assert "![a figure](figures/fig.png)" in md


# ------------------------------------------------------------------ run reports


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return base_and_option(tmp_path_factory.mktemp("report_runs"), replications=4)


def _images_and_links(out):
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    embedded = re.findall(r'<img src="data:image/png;base64,[^"]+"', html)
    linked = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", md)
    return html, md, embedded, linked


def test_run_report_against_a_baseline(runs, tmp_path, capsys):
    base, alt = runs
    out = tmp_path / "report"
    assert main([str(alt), "--baseline", str(base), "--wage-per-hour", "25", "--out", str(out)]) == 0
    assert str(out / "report.html") in capsys.readouterr().out
    html, md, embedded, linked = _images_and_links(out)
    # the figures: paired differences and five interval charts (the last per agent group), embedded in
    # the HTML, files for the Markdown
    assert len(embedded) == len(linked) == 6
    for link in linked:
        assert (out / link).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, "no network needed"
    # the scenario in readable tables, and what differs
    for text in ("Channels and their targets", "80% in 20 s", "Contact types", "Staffing", "generalists",
                 "longest idle", "What differs from the baseline", "scenario.agent_groups.generalists.staffing",
                 "| Generalists on duty (agents) |"):
        assert text in md, text
    # the KPI table with intervals, the paired differences with verdicts, the cost basis
    assert re.search(r"\| Service level \(%\) \| \d+\.\d% \[\d+\.\d–\d+\.\d\] \|", md)
    assert "significantly better" in md and "Staff cost (agent-hours x 25 per hour)" in md
    assert "Cost basis: staffed agent-hours" in md
    # the summary paragraph, computed from the numbers
    (summary,) = re.findall(r"^> \*\*(.*)\*\*$", md, re.M)
    assert summary.startswith("more_generalists against default (4 replications of a 12 h day): phone meets 80% in 20 s in ")
    assert re.search(r"phone meets 80% in 20 s in (\d+) of 24 intervals \(baseline (\d+) of 24\)", summary)
    assert re.search(r"at \+\d+\.\d% staffed agent-hours \(\+\d+ agent-h, \+[\d,]+ at 25 per agent-hour\)", summary)
    assert "Significantly better: phone service level (+" in summary


def test_run_report_alone_writes_into_the_run_folder(runs):
    base, _ = runs
    assert main([str(base)]) == 0
    out = base / "report"
    html, md, embedded, linked = _images_and_links(out)
    assert len(embedded) == len(linked) == 5  # four interval charts and the one per agent group
    assert "Against the baseline" not in md
    assert "Staffed agent-hours (agent-h)" in md and "Costs in EUR are the scenario's own (scenario.costs)" in md
    assert "No wage was given" not in md, "the default centre has its own costs"
    assert re.search(r"phone meets 80% in 20 s in \d+ of 24 intervals \(\d+\.\d% over the day\)", md)


def test_runs_with_different_seeds_are_reported_as_not_paired(runs, tmp_path):
    base, _ = runs
    other = run_folder(more_generalists(default_raw(replications=3, seed=7)), tmp_path / "other_seed")
    assert main([str(other), "--baseline", str(base), "--out", str(tmp_path / "r")]) == 0
    assert "do not share customers" in (tmp_path / "r" / "report.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------ failed and empty runs


def test_a_failed_run_gives_a_report_that_says_so(runs, tmp_path):
    base, _ = runs
    failed = tmp_path / "failed"
    failed.mkdir()
    (failed / "config.yaml").write_text((base / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (failed / "error.txt").write_text("MemoryError: out of memory\n", encoding="utf-8")
    assert main([str(failed), "--baseline", str(base)]) == 0
    md = (failed / "report" / "report.md").read_text(encoding="utf-8")
    assert "the run failed: MemoryError: out of memory" in md
    assert "no KPIs or charts" in md
    assert "Channels and their targets" in md, "the scenario is still described"
    assert load_run(failed).status == "failed"


def test_an_empty_folder_and_a_run_that_measured_nothing_give_reports_that_say_so(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty)]) == 0
    md = (empty / "report" / "report.md").read_text(encoding="utf-8")
    assert "no results in this folder" in md and "The scenario cannot be described" in md
    raw = {"scenario": {"preset": "single_queue", "arrival_rate_per_hour": 0, "mean_handle_time_s": 180,
                        "agents": 2}, "run": {"replications": 2, "horizon_hours": 2, "figures": False}}
    nothing = run_folder(raw, tmp_path / "nothing")
    assert main([str(nothing), "--baseline", str(empty)]) == 0
    md = (nothing / "report" / "report.md").read_text(encoding="utf-8")
    assert "no contact was offered in the measurement window" in md
    assert "No comparison: the baseline" in md


def test_a_baseline_folder_that_does_not_exist_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim.report", str(tmp_path), "--baseline", str(tmp_path / "no_such_folder")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "sim.report: error:" in proc.stderr


# ------------------------------------------------------------------ sweeps and studies


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A sweep folder as Hydra leaves it: three points of single_queue agents, the middle one failed."""
    root = tmp_path_factory.mktemp("report_sweep") / "agents"
    for job, agents in enumerate((11, 12, 13)):
        folder = root / str(job)
        overrides = ["scenario=single_queue", f"scenario.agents={agents}"]
        (folder / ".hydra").mkdir(parents=True)
        (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides), encoding="utf-8")
        if agents == 12:
            sweep_mod.record_failure(folder, RuntimeError("the machine ran out of disk"))
            continue
        raw = {"scenario": {"name": "single_queue", "preset": "single_queue", "arrival_rate_per_hour": 200,
                            "mean_handle_time_s": 180, "agents": agents},
               "run": {"replications": 3, "horizon_hours": 4, "figures": False}}
        run_folder(raw, folder)
        sweep_mod.mark_done(folder, overrides)
    sweep_mod.write_sweep(root, figures=False)
    return root


def test_sweep_report_with_a_failed_point_and_the_cost_trade_off(sweep_dir, tmp_path):
    assert folder_kind(sweep_dir) == "sweep"
    out = tmp_path / "r"
    assert main([str(sweep_dir), "--out", str(out)]) == 0
    html, md, embedded, linked = _images_and_links(out)
    assert linked == ["figures/kpis_vs_swept.png", "figures/cost_vs_service.png"] and len(embedded) == 2
    (summary,) = re.findall(r"^> \*\*(.*)\*\*$", md, re.M)
    assert summary.startswith("3 points over Agents, 2 finished, 1 failed (agents=12).")
    assert "agents=13" in summary and "intervals" in summary
    assert "RuntimeError: the machine ran out of disk" in md
    assert "| agents=11 | ok |" in md and "| agents=12 | failed |" in md
    assert "Staffed agent-hours (agent-h)" in md, "cost basis without a wage: agent-hours"


def test_study_report_uses_the_scenarios_cost_and_paired_verdicts(tmp_path):
    study = importlib.import_module("staffing_sweep")
    folder = tmp_path / "staffing_sweep"
    assert study.main(["--replications", "2", "--hours", "2", "--quiet", "--out", str(folder)]) == 0
    info = yaml.safe_load((folder / "study.json").read_text(encoding="utf-8"))
    assert info["key"] == "staffing_pct" and info["baseline"] == 100 and info["targets"]["phone"]["target"] == 0.8
    assert folder_kind(folder) == "study"
    assert main([str(folder)]) == 0
    md = (folder / "report" / "report.md").read_text(encoding="utf-8")
    assert "9 points over staffing_pct, all finished." in md
    assert "Total cost (EUR)" in md and "Costs in EUR are the scenario's own (scenario.costs)" in md
    assert re.search(r"total cost [\d,]+ EUR", md), "the summary's cost in the scenario's currency"
    assert "Paired differences against staffing_pct=100" in md
    assert re.search(r"\| staffing_pct=80 \| -\d+\.\d pp \((worse|no difference)\)", md)
    assert "figures/cost_vs_service.png" in md


def test_several_folders_give_one_page_each(runs, sweep_dir, tmp_path):
    base, alt = runs
    out = tmp_path / "both"
    assert main([str(alt), str(sweep_dir), "--baseline", str(base), "--out", str(out)]) == 0
    html, md, embedded, linked = _images_and_links(out)
    assert html.count('<section class="page">') == 2
    assert "## more_generalists against default" in md and "## Sweep over Agents" in md
    assert len(set(linked)) == len(linked) == 8, "figure names are unique across pages"


def test_a_run_whose_config_no_longer_validates_is_still_reported_with_its_targets(runs, tmp_path):
    import shutil

    base, _ = runs
    moved = tmp_path / "moved"
    shutil.copytree(base, moved, ignore=shutil.ignore_patterns("report"))
    raw = yaml.safe_load((moved / "config.yaml").read_text(encoding="utf-8"))
    raw["scenario"]["trace"] = str(tmp_path / "gone.csv")  # e.g. a trace file that has moved since the run
    (moved / "config.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert main([str(moved)]) == 0
    md = (moved / "report" / "report.md").read_text(encoding="utf-8")
    assert "The scenario cannot be described: config.yaml not valid here: scenario.trace" in md
    assert re.search(r"default: phone meets 80% in 20 s in \d+ of 24 intervals", md)
    assert "Service level (%)" in md


def test_a_multi_day_run_has_a_table_by_day(tmp_path):
    from .report_helpers import default_raw, run_folder

    folder = run_folder(default_raw(replications=2, days=3), tmp_path / "week")
    assert main([str(folder), "--out", str(tmp_path / "r")]) == 0
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "### By day" in md and "replications of 3 days" in md
    rows = [line for line in md.splitlines() if re.match(r"\| [123] \| ", line)]
    assert len(rows) == 3 and all(line.count("%") >= 3 for line in rows)
    assert re.search(r"phone meets 80% in 20 s in \d+ of 72 intervals \(\d+\.\d% over the 3 days\)", md)


def test_group_hours_table_shows_paid_worked_absent_and_overtime_hours_and_labour_cost():
    import pandas as pd

    from sim.reporting.run_page import group_hours_table
    from sim.workforce.config import Costs

    rows = [("shift_team", "paid_hours", 72.0, 72.0, 72.0), ("shift_team", "worked_hours", 64.8, 61.8, 67.8),
            ("shift_team", "absent_hours", 1.4, -0.7, 3.5), ("shift_team", "overtime_hours", 1.5, 1.1, 1.9)]
    groups = pd.DataFrame([{"group": g, "metric": m, "mean": v, "ci_low": lo, "ci_high": hi, "n_reps": 10}
                           for g, m, v, lo, hi in rows])

    class Config:  # what the table reads of a config: the scenario's costs
        class scenario:
            costs = Costs({"shift_team": 20.0}, overtime_premium=1.5, absence_paid=False)

    table = group_hours_table(groups, Config, 0.95)
    assert table.header == ["Agent group", "Paid hours", "Worked (logged-in) hours", "Absent hours", "Overtime hours",
                            "Labour cost"]
    assert table.rows == [["shift_team", "72.0 ± 0.0", "64.8 ± 3.0", "1.4 (0–3.5)", "1.5 ± 0.4",
                           f"{20 * (72 + 1.5 * 1.5):,.0f}"]]
    assert "absence not paid" in table.caption
    no_shifts = groups[groups["metric"] == "worked_hours"].assign(metric="occupancy")
    assert group_hours_table(no_shifts, Config, 0.95) is None


def test_a_sweep_that_flattens_a_per_interval_profile_says_so(tmp_path):
    from sim.reporting.grid_page import replaced_profiles

    key = "scenario.agent_groups.generalists.staffing"
    (tmp_path / "multirun.yaml").write_text(yaml.safe_dump({"scenario": {"agent_groups": {"generalists": {
        "staffing": [10, 20, 30], "staffing_delta": 0}}}}), encoding="utf-8")
    flat = pd.DataFrame({key: [21, 25], "channel": "phone", "metric": "service_level", "mean": 0.8})
    (line,) = replaced_profiles(tmp_path, [key], flat)
    assert "replacing the scenario's per-interval profile (10-30 across the day)" in line
    assert "staffing_delta" in line and line.startswith("Generalists on duty (agents)")
    delta = "scenario.agent_groups.generalists.staffing_delta"
    assert replaced_profiles(tmp_path, [delta], flat.rename(columns={key: delta})) == [], "a delta replaces nothing"


def test_the_policies_table_names_each_routing_and_flow_mechanism_the_scenario_turns_on():
    from sim import load_config
    from sim.reporting.wording import scenario_tables

    from .report_helpers import default_with

    def policies(**changes):
        return dict(scenario_tables(load_config(default_with(**changes)))[3].rows)

    plain = policies()
    assert plain["Overflow"] == "billing to specialists after 60 s"
    assert not {"Sites", "Staged routing", "Skill levels (others standard)", "After-call work", "Balking",
                "Trunk lines"} & set(plain), "a mechanism that is off is not mentioned"
    on = policies(agent_groups__specialists__conditions={"technical": {"after_s": 30, "keep_idle": 1}},
                  agent_groups__generalists__skill_levels={"technical": 3},
                  contact_types__sales__after_call_work={"dist": "exponential", "mean_s": 20},
                  channels__phone__lines=40)
    assert on["Staged routing"] == "specialists take technical only after 30 s waited and keeping 1 idle"
    assert on["Skill levels (others standard)"] == "generalists: technical novice"
    assert on["After-call work"] == "sales 20 s mean"
    assert on["Trunk lines"] == "phone 40 lines"


def test_an_outbound_campaign_gets_its_own_table_and_is_not_called_escalations_only():
    from sim.reporting.run_page import campaign_table, type_table

    rows = [("billing", "phone", "offered", 100.0), ("billing", "phone", "service_level", 0.8),
            ("collections", "phone", "offered", 0.0), ("collections", "phone", "dials", 600.0),
            ("collections", "phone", "connects", 210.0), ("collections", "phone", "right_party_contacts", 126.0),
            ("collections", "phone", "nuisance_rate", 0.025), ("collections", "phone", "list_completed_share", 0.12),
            ("collections", "phone", "list_reached_share", 0.084)]
    types = pd.DataFrame([{"contact_type": t, "channel": c, "metric": m, "mean": v, "ci_low": v, "ci_high": v}
                          for t, c, m, v in rows])
    table = campaign_table(types, 0.95, {"collections": 0.03})
    assert table.header[:4] == ["Campaign", "Dials", "Answered", "Right-party contacts"]
    assert table.rows == [["collections", "600 ± 0", "210 ± 0", "126 ± 0", "8.4%", "12.0%", "2.50%", "3%"]]
    by_type = type_table(types, 0.95)
    assert [r[0] for r in by_type.rows] == ["billing"] and "escalations only" not in by_type.caption
    assert campaign_table(types[types.contact_type == "billing"], 0.95) is None
