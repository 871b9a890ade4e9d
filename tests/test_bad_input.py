"""Bad input is reported as one line naming the key path (or file and line) and what was expected.

Requirement: an unknown key, a wrong type, a negative rate, time or count, zero where zero
makes no sense (replications, a mean handle time), a skill naming an unknown contact type, a
staffing table of the wrong length or a malformed trace row gives one line, a non-zero exit
status and no traceback; a zero arrival rate in some intervals is valid.

Three layers are checked:

* ``python -m sim`` as a subprocess, for a representative set of cases: exit status 2, exactly
  one ``sim: error: <where>: <what>`` line on stderr, no traceback, no output folder;
* :func:`sim.model.config.load_config` in-process on configs composed with Hydra's compose API (the
  same composition the command line's pre-check does), for every validation rule;
* :func:`sim.engine.arrivals.read_trace` directly, for malformed trace files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim.engine.arrivals import TraceContact, read_trace
from sim.model.config import load_config
from sim.engine.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "configs"
SQ = "scenario=single_queue"

# A quick valid run: few replications over a short horizon.
QUICK = ["run.replications=2", "run.warmup_hours=0", "run.horizon_hours=2"]


# ---------------------------------------------------------------- helpers


def run_sim(tmp_path: Path, *overrides: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Run ``python -m sim <overrides>`` from the repo root with its output folder under tmp_path."""
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", *overrides, "run.figures=false", f"hydra.run.dir={out}"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    return proc, out


def assert_one_line_error(proc: subprocess.CompletedProcess, out: Path, *expected: str) -> str:
    """Exit 2, a single ``sim: error:`` line on stderr containing ``expected``, no traceback, no folder."""
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 2, report
    assert "Traceback" not in proc.stdout and "Traceback" not in proc.stderr, report
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), report
    line = lines[0]
    assert line.startswith("sim: error: "), report
    for text in expected:
        assert text in line, report
    assert proc.stdout.strip() == "", report
    assert not out.exists(), f"output folder {out} was created for a bad config"
    return line


def composed(overrides: list[str]) -> dict:
    """The plain mapping ``python -m sim <overrides>`` validates (as its pre-check composes it)."""
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
        return OmegaConf.to_container(cfg, resolve=True)
    finally:
        GlobalHydra.instance().clear()


def config_error(overrides: list[str]) -> ConfigError:
    """The ConfigError that loading the composed config raises (fails if it loads)."""
    raw = composed(overrides)
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    return info.value


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trace_override(path: Path) -> str:
    return f"scenario.trace='{path}'"


# ------------------------------------------------- command line: bad config values

# A representative subset runs as real subprocesses (each costs a second or two); every rule is
# also checked in-process below.

CLI_CASES = [
    pytest.param(["scenario.agnets=5"], ["scenario.agnets", "unknown key"], id="unknown-key-default-scenario"),
    pytest.param([SQ, "scenario.agnets=5"], ["scenario.agnets", "unknown key", "did you mean 'agents'"],
                 id="unknown-key-single-queue"),
    pytest.param(["+typo=1"], ["typo", "unknown key"], id="unknown-top-level-key"),
    pytest.param(["scenario.agent_groups.specialists.fatigue.occupancy_cap=0.9"],
                 ["scenario.agent_groups.specialists.fatigue", "valid key", "+scenario.agent_groups.specialists.fatigue"],
                 id="valid-key-needs-plus"),
    pytest.param([SQ, "scenario.agents=many"], ["scenario.agents", "whole number", "'many'"],
                 id="wrong-type-string-for-agents"),
    pytest.param(["run.seed=abc"], ["run.seed", "whole number", "'abc'"], id="wrong-type-string-for-seed"),
    pytest.param([SQ, "scenario.arrival_rate_per_hour=-5"], ["scenario.arrival_rate_per_hour", ">= 0", "-5"],
                 id="negative-arrival-rate"),
    pytest.param(["run.replications=0"], ["run.replications", ">= 1", "0"], id="zero-replications"),
    pytest.param(["scenario.contact_types.billing.handle_time.mean_s=0"],
                 ["scenario.contact_types.billing.handle_time.mean_s", "positive"], id="zero-mean-handle-time"),
    pytest.param(["scenario.agent_groups.generalists.skills=[billing,bogus]"],
                 ["scenario.agent_groups.generalists.skills[1]", "unknown contact type", "'bogus'"],
                 id="skill-names-unknown-contact-type"),
    pytest.param(["scenario.agent_groups.generalists.staffing=[10,12,14]"],
                 ["scenario.agent_groups.generalists.staffing", "expected 24 values", "got 3"],
                 id="staffing-table-wrong-length"),
    pytest.param(["scenario=nope"], ["scenario", "'nope'", "default", "single_queue"], id="unknown-scenario-name"),
    pytest.param(["scenario.contact_types.billing.overflow.groups=[vendor]"],
                 ["scenario.contact_types.billing.overflow.groups[0]", "unknown agent group"], id="overflow-unknown-group"),
    pytest.param(["scenario.agent_groups.chat_team.concurrency.max=0"],
                 ["scenario.agent_groups.chat_team.concurrency.max", ">= 1"], id="concurrency-0"),
    pytest.param(["scenario.contact_types.billing_chat.self_service.containment=2"],
                 ["scenario.contact_types.billing_chat.self_service.containment", "<= 1"], id="containment-above-1"),
    pytest.param(["scenario.agent_groups.chat_team.staffing=null",
                  "+scenario.agent_groups.chat_team.shifts=[{start:'08:00',length_hours:8,agents:2,concurrency:0}]"],
                 ["scenario.agent_groups.chat_team.shifts[0].concurrency", ">= 1"], id="shift-concurrency-0"),
    pytest.param(["+scenario.agent_groups.generalists.conditions={sales:{after_s:-1}}"],
                 ["scenario.agent_groups.generalists.conditions.sales.after_s", ">= 0"], id="condition-after-negative"),
    pytest.param(["scenario.routing.agent_selection=expected_delay"],
                 ["scenario.contact_types.billing.overflow", "not supported with routing.agent_selection: expected_delay"],
                 id="expected-delay-with-overflow"),
]


@pytest.mark.parametrize(("overrides", "expected"), CLI_CASES)
def test_cli_reports_bad_config_in_one_line_with_exit_2(tmp_path, overrides, expected):
    proc, out = run_sim(tmp_path, *overrides)
    assert_one_line_error(proc, out, *expected)


# ---------------------------------------- in-process: every rule of load_config

# (overrides, key path the error must name, a phrase of what was expected)
CONFIG_CASES = [
    # unknown keys (added with '+', so that composition succeeds and load_config must catch them)
    pytest.param(["+typo=1"], "typo", "unknown key", id="unknown-top-level-key"),
    pytest.param(["+scenario.agnets=5"], "scenario.agnets", "unknown key", id="unknown-key-default-scenario"),
    pytest.param([SQ, "+scenario.agnets=5"], "scenario.agnets", "did you mean 'agents'", id="unknown-key-single-queue"),
    pytest.param(["+run.replicatons=5"], "run.replicatons", "did you mean 'replications'", id="unknown-run-key"),
    pytest.param(["+scenario.contact_types.billing.handle_time.sd=3"], "scenario.contact_types.billing.handle_time.sd",
                 "unknown key", id="unknown-distribution-key"),
    pytest.param(["+scenario.agent_groups.generalists.shift=early"], "scenario.agent_groups.generalists.shift",
                 "allowed keys: skills, staffing", id="unknown-agent-group-key"),
    # wrong types
    pytest.param([SQ, "scenario.agents=many"], "scenario.agents", "expected a whole number", id="string-for-agents"),
    pytest.param([SQ, "scenario.agents=2.5"], "scenario.agents", "expected a whole number", id="fraction-for-agents"),
    pytest.param(["run.seed=abc"], "run.seed", "expected a whole number", id="string-for-seed"),
    pytest.param(["run.seed=inf"], "run.seed", "expected a whole number", id="infinite-seed"),
    pytest.param(["run.replications=nan"], "run.replications", "expected a whole number", id="nan-replications"),
    pytest.param([SQ, "scenario.mean_handle_time_s=slow"], "scenario.mean_handle_time_s", "expected a number",
                 id="string-for-handle-time"),
    pytest.param(["run.figures=maybe"], "run.figures", "expected true or false", id="string-for-boolean"),
    pytest.param(["scenario.agent_groups.generalists.skills=billing"], "scenario.agent_groups.generalists.skills",
                 "expected a non-empty list", id="string-for-skill-list"),
    pytest.param(["scenario.open_time=eight"], "scenario.open_time", "clock time", id="bad-clock-time"),
    # negative rates
    pytest.param([SQ, "scenario.arrival_rate_per_hour=-5"], "scenario.arrival_rate_per_hour", ">= 0",
                 id="negative-arrival-rate"),
    pytest.param(["scenario.contact_types.billing.arrivals.volume=-10"],
                 "scenario.contact_types.billing.arrivals.volume", ">= 0", id="negative-volume"),
    pytest.param(["scenario.contact_types.billing.arrivals.profile=-1"],
                 "scenario.contact_types.billing.arrivals.profile", ">= 0", id="negative-profile-weight"),
    pytest.param(["scenario.contact_types.billing.arrivals.profile=0"],
                 "scenario.contact_types.billing.arrivals.profile", "at least one positive weight",
                 id="all-zero-profile"),
    # negative times
    pytest.param([SQ, "scenario.mean_handle_time_s=-1"], "scenario.mean_handle_time_s", "positive",
                 id="negative-mean-handle-time"),
    pytest.param(["run.warmup_hours=-1"], "run.warmup_hours", ">= 0", id="negative-warmup"),
    pytest.param([SQ, "scenario.mean_patience_s=-1"], "scenario.mean_patience_s", "positive",
                 id="negative-patience-single-queue"),
    pytest.param(["scenario.contact_types.billing.patience.mean_s=-30"],
                 "scenario.contact_types.billing.patience.mean_s", "positive", id="negative-patience"),
    pytest.param(["scenario.channels.phone.service_level_threshold_s=-20"],
                 "scenario.channels.phone.service_level_threshold_s", ">= 0", id="negative-service-level-threshold"),
    pytest.param(["run.short_abandon_s=-5"], "run.short_abandon_s", ">= 0", id="negative-short-abandon"),
    # negative counts
    pytest.param([SQ, "scenario.agents=-2"], "scenario.agents", ">= 0", id="negative-agents"),
    pytest.param([SQ, "scenario.queue_capacity=-1"], "scenario.queue_capacity", ">= 0",
                 id="negative-queue-capacity-single-queue"),
    pytest.param(["+scenario.contact_types.billing.queue_capacity=-3"],
                 "scenario.contact_types.billing.queue_capacity", ">= 0", id="negative-queue-capacity"),
    pytest.param(["scenario.agent_groups.generalists.staffing=-4"], "scenario.agent_groups.generalists.staffing",
                 ">= 0", id="negative-staffing"),
    pytest.param(["run.seed=-1"], "run.seed", ">= 0", id="negative-seed"),
    # zero where zero makes no sense
    pytest.param(["run.replications=0"], "run.replications", ">= 1", id="zero-replications"),
    pytest.param(["scenario.contact_types.billing.handle_time.mean_s=0"],
                 "scenario.contact_types.billing.handle_time.mean_s", "positive", id="zero-mean-handle-time"),
    pytest.param([SQ, "scenario.mean_handle_time_s=0"], "scenario.mean_handle_time_s", "positive",
                 id="zero-mean-handle-time-single-queue"),
    pytest.param(["scenario.interval_minutes=0"], "scenario.interval_minutes", "positive", id="zero-interval"),
    pytest.param([SQ, "run.horizon_hours=0"], "run.horizon_hours", "positive", id="zero-horizon"),
    # skills and tables
    pytest.param(["scenario.agent_groups.generalists.skills=[billing,bogus]"],
                 "scenario.agent_groups.generalists.skills[1]", "unknown contact type 'bogus'",
                 id="skill-names-unknown-contact-type"),
    pytest.param(["scenario.agent_groups.generalists.skills=[billing,billing]"],
                 "scenario.agent_groups.generalists.skills", "twice", id="skill-listed-twice"),
    pytest.param(["scenario.agent_groups.generalists.staffing=[10,12,14]"],
                 "scenario.agent_groups.generalists.staffing", "expected 24 values", id="staffing-table-wrong-length"),
    pytest.param(["scenario.contact_types.billing.arrivals.profile=[1,2]"],
                 "scenario.contact_types.billing.arrivals.profile", "expected 24 values", id="profile-wrong-length"),
    pytest.param(["scenario.agent_groups.generalists.staffing=[1,2,3,4,5,6,7,8,9,10,11,12,"
                  "13,14,15,16,17,18,19,20,21,22,23,x]"],
                 "scenario.agent_groups.generalists.staffing[23]", "whole number", id="staffing-entry-wrong-type"),
    pytest.param(["scenario.interval_minutes=25"], "scenario.interval_minutes", "divisor", id="interval-not-divisor"),
    pytest.param(["scenario.close_time='07:00'"], "scenario.close_time", "after open_time", id="close-before-open"),
    # probabilities, references and choices
    pytest.param(["scenario.contact_types.technical.escalation.probability=1.5"],
                 "scenario.contact_types.technical.escalation.probability", "<= 1", id="escalation-probability-1.5"),
    pytest.param(["scenario.channels.chat.service_level_target=1.2"], "scenario.channels.chat.service_level_target",
                 "<= 1", id="service-level-target-above-1"),
    pytest.param(["scenario.contact_types.technical.escalation.to=nobody"],
                 "scenario.contact_types.technical.escalation.to", "expected a contact type",
                 id="escalation-to-unknown-type"),
    pytest.param(["scenario.contact_types.technical.escalation.to=technical"],
                 "scenario.contact_types.technical.escalation.to", "itself", id="escalation-to-itself"),
    pytest.param(["scenario.contact_types.billing.channel=fax"], "scenario.contact_types.billing.channel",
                 "expected one of the channels", id="unknown-channel"),
    pytest.param(["+scenario.contact_types.billing.handle_time_by_group.nobody={dist:exponential,mean_s:60}"],
                 "scenario.contact_types.billing.handle_time_by_group.nobody", "expected an agent group",
                 id="handle-time-for-unknown-group"),
    pytest.param(["scenario.contact_types.billing.handle_time.dist=weibull"],
                 "scenario.contact_types.billing.handle_time.dist", "expected one of exponential", id="unknown-distribution"),
    pytest.param(["~scenario.contact_types.billing.handle_time.cv"], "scenario.contact_types.billing.handle_time.cv",
                 "required for a lognormal", id="lognormal-without-cv"),
    pytest.param(["scenario.contact_types.billing.handle_time.cv=0"], "scenario.contact_types.billing.handle_time.cv",
                 "positive", id="zero-cv"),
    pytest.param(["+scenario.contact_types.billing.patience.cv=1"],
                 "scenario.contact_types.billing.patience.cv", "not used by", id="cv-on-exponential"),
    pytest.param(["scenario.routing.agent_selection=random"], "scenario.routing.agent_selection",
                 "expected one of longest_idle, skill_rank", id="unknown-agent-selection"),
    pytest.param(["scenario.routing.queue_selection=lifo"], "scenario.routing.queue_selection",
                 "expected one of priority_fcfs", id="unknown-queue-selection"),
    # staged routing and expected-delay routing (sim.journeys.conditions, sim.journeys.expected_delay)
    pytest.param(["+scenario.agent_groups.generalists.later_skills_after_s=-5"],
                 "scenario.agent_groups.generalists.later_skills_after_s", ">= 0", id="later-skills-after-negative"),
    pytest.param(["+scenario.agent_groups.tech_support.conditions={technical:{queue_above:-1}}"],
                 "scenario.agent_groups.tech_support.conditions.technical.queue_above", ">= 0",
                 id="condition-queue-above-negative"),
    pytest.param(["+scenario.agent_groups.tech_support.conditions={technical:{keep_idle:-1}}"],
                 "scenario.agent_groups.tech_support.conditions.technical.keep_idle", ">= 0",
                 id="condition-keep-idle-negative"),
    pytest.param(["+scenario.agent_groups.tech_support.conditions={sales:{after_s:5}}"],
                 "scenario.agent_groups.tech_support.conditions.sales", "not among the group's skills",
                 id="condition-on-a-type-not-a-skill"),
    pytest.param(["+scenario.agent_groups.tech_support.conditions={fax:{after_s:5}}"],
                 "scenario.agent_groups.tech_support.conditions.fax", "expected a contact type",
                 id="condition-on-unknown-type"),
    pytest.param(["+scenario.agent_groups.tech_support.conditions={billing:{after_s:5}}"],
                 "scenario.agent_groups.tech_support.conditions.billing", "has an overflow rule",
                 id="condition-on-a-type-with-overflow"),
    pytest.param(["scenario.routing.agent_selection=expected_delay"], "scenario.contact_types.billing.overflow",
                 "not supported with routing.agent_selection: expected_delay", id="expected-delay-with-overflow"),
    pytest.param(["run.service_level_variant=best"], "run.service_level_variant", "expected one of offered",
                 id="unknown-service-level-variant"),
    pytest.param(["scenario.preset=tiny"], "scenario.preset", "expected one of centre, single_queue",
                 id="unknown-preset"),
    pytest.param(["run.confidence=1.5"], "run.confidence", "strictly between 0 and 1", id="confidence-1.5"),
    pytest.param(["run.confidence=0"], "run.confidence", "positive", id="confidence-0"),
    # customer journeys (sim.journeys.config)
    pytest.param(["scenario.contact_types.billing_chat.self_service.containment=1.5"],
                 "scenario.contact_types.billing_chat.self_service.containment", "<= 1", id="containment-above-1"),
    pytest.param(["scenario.contact_types.billing.retrial.probability=-0.1"],
                 "scenario.contact_types.billing.retrial.probability", ">= 0", id="retrial-probability-negative"),
    pytest.param(["+scenario.contact_types.billing_chat.self_service.concurrency=0"],
                 "scenario.contact_types.billing_chat.self_service.concurrency", ">= 1", id="bot-concurrency-0"),
    pytest.param(["scenario.contact_types.billing_chat.self_service.handoff_aht_factor=0"],
                 "scenario.contact_types.billing_chat.self_service.handoff_aht_factor", "positive",
                 id="handoff-factor-0"),
    pytest.param(["scenario.contact_types.billing.retrial.switch_to=fax"],
                 "scenario.contact_types.billing.retrial.switch_to", "expected a contact type", id="retrial-to-unknown"),
    pytest.param(["~scenario.contact_types.billing.retrial.switch_to"],
                 "scenario.contact_types.billing.retrial.switch_probability", "only used with switch_to",
                 id="switch-probability-without-target"),
    pytest.param(["+scenario.contact_types.technical.repeat.probability_by_group.vendor=0.1"],
                 "scenario.contact_types.technical.repeat.probability_by_group.vendor", "expected an agent group",
                 id="repeat-unknown-group"),
    pytest.param(["scenario.contact_types.technical.repeat.probability_by_group.specialists=2"],
                 "scenario.contact_types.technical.repeat.probability_by_group.specialists", "<= 1",
                 id="repeat-group-probability-above-1"),
    pytest.param(["+scenario.contact_types.technical.repeat.to=nowhere"],
                 "scenario.contact_types.technical.repeat.to", "expected a contact type", id="repeat-to-unknown"),
    pytest.param(["+scenario.contact_types.technical.repeat.max_repeats=0"],
                 "scenario.contact_types.technical.repeat.max_repeats", ">= 1", id="max-repeats-0"),
    pytest.param(["~scenario.contact_types.technical.repeat.delay"],
                 "scenario.contact_types.technical.repeat.delay", "required key is missing", id="repeat-without-delay"),
    pytest.param(["+scenario.contact_types.billing.self_service.contaiment=0.2"],
                 "scenario.contact_types.billing.self_service.contaiment", "did you mean 'containment'",
                 id="self-service-typo"),
    pytest.param(["scenario.channels.email.service_level_threshold_s=0"],
                 "scenario.channels.email.service_level_threshold_s", "response-time target > 0 s",
                 id="deferrable-sla-zero"),
    pytest.param(["run.days=0"], "run.days", ">= 1", id="days-zero"),
    pytest.param(["run.days=3", "run.horizon_hours=5"], "run.days", "horizon_hours: null", id="days-with-horizon"),
    pytest.param(["scenario.contact_types.billing.callback.acceptance=1.2"],
                 "scenario.contact_types.billing.callback.acceptance", "<= 1", id="callback-acceptance-above-1"),
    pytest.param(["scenario.contact_types.billing.callback.offer_threshold_s=-5"],
                 "scenario.contact_types.billing.callback.offer_threshold_s", ">= 0", id="callback-threshold-negative"),
    pytest.param(["+scenario.contact_types.billing.callback.scheduled_after_s=0"],
                 "scenario.contact_types.billing.callback.scheduled_after_s", "positive", id="callback-booked-at-0"),
    pytest.param(["scenario.contact_types.billing.callback.attempt_time.mean_s=0"],
                 "scenario.contact_types.billing.callback.attempt_time.mean_s", "positive", id="callback-attempt-0"),
    pytest.param(["scenario.contact_types.billing.overflow.groups=[vendor]"],
                 "scenario.contact_types.billing.overflow.groups[0]", "unknown agent group 'vendor'",
                 id="overflow-to-unknown-group"),
    pytest.param(["scenario.contact_types.billing.overflow.groups=[generalists]"],
                 "scenario.contact_types.billing.overflow.groups[0]", "already serves billing",
                 id="overflow-to-a-group-with-the-skill"),
    pytest.param(["scenario.contact_types.billing.overflow.after_s=-1"],
                 "scenario.contact_types.billing.overflow.after_s", ">= 0", id="overflow-negative-delay"),
    pytest.param(["scenario.agent_groups.generalists.skills=[]"], "scenario.agent_groups.generalists.skills",
                 "expected a non-empty list", id="empty-skills-without-overflow"),
    pytest.param(["scenario.contact_types.billing.vip.share=1.5"], "scenario.contact_types.billing.vip.share", "<= 1",
                 id="vip-share-above-1"),
    pytest.param(["scenario.contact_types.billing.vip.priority=1"], "scenario.contact_types.billing.vip.priority",
                 "more than the contact type's priority (1)", id="vip-priority-not-higher"),
    pytest.param(["+scenario.cx.csat_base=6"], "scenario.cx.csat_base", "<= 5", id="cx-csat-above-5"),
    pytest.param(["+scenario.cx.promoter_csat=3", "+scenario.cx.detractor_csat=4"], "scenario.cx.promoter_csat",
                 "at least detractor_csat", id="cx-promoter-below-detractor"),
    pytest.param(["+scenario.cx.wait_penalty_per_minute=-1"], "scenario.cx.wait_penalty_per_minute", ">= 0",
                 id="cx-negative-penalty"),
    pytest.param(["scenario.agent_groups.chat_team.concurrency.max=0"],
                 "scenario.agent_groups.chat_team.concurrency.max", ">= 1", id="concurrency-below-1"),
    pytest.param(["scenario.agent_groups.chat_team.concurrency.handle_time_factors=[1.0]"],
                 "scenario.agent_groups.chat_team.concurrency.handle_time_factors", "expected a list of 2 factors",
                 id="concurrency-factors-wrong-length"),
    pytest.param(["scenario.agent_groups.chat_team.staffing=null",
                  "+scenario.agent_groups.chat_team.shifts=[{start:'08:00',length_hours:8,agents:2,concurrency:0}]"],
                 "scenario.agent_groups.chat_team.shifts[0].concurrency", ">= 1", id="shift-concurrency-0"),
    pytest.param(["scenario.agent_groups.chat_team.staffing=null",
                  "+scenario.agent_groups.chat_team.shifts=[{start:'08:00',length_hours:8,agents:2},"
                  "{start:'12:00',length_hours:8,agents:2,concurrency:3}]"],
                 "scenario.agent_groups.chat_team.shifts[1].concurrency",
                 "expected at most 2 (the length of concurrency.handle_time_factors), got 3",
                 id="shift-concurrency-above-the-curve"),
    pytest.param(["scenario.agent_groups.specialists.staffing=null",
                  "+scenario.agent_groups.specialists.shifts=[{start:'08:00',length_hours:8,agents:2,concurrency:2}]"],
                 "scenario.agent_groups.specialists.shifts[0].concurrency",
                 "expected 1 (agent group 'specialists' has no concurrency block",
                 id="shift-concurrency-without-block"),
    pytest.param(["scenario.contact_types.email.deferrable.reserve_agents=-1"],
                 "scenario.contact_types.email.deferrable.reserve_agents", ">= 0", id="reserve-negative"),
    # the run window
    pytest.param([SQ, "run.warmup_hours=24"], "run.warmup_hours", "less than the horizon",
                 id="warmup-equal-to-horizon"),
    pytest.param(["run.warmup_hours=13"], "run.warmup_hours", "less than the horizon", id="warmup-past-horizon"),
    pytest.param(["run.horizon_hours=13"], "run.horizon_hours", "at most 12 h", id="horizon-past-opening-hours"),
    # missing keys and files
    pytest.param([SQ, "~scenario.agents"], "scenario.agents", "required key is missing", id="missing-agents"),
    pytest.param(["~scenario.contact_types.billing.channel"], "scenario.contact_types.billing.channel",
                 "required key is missing", id="missing-channel"),
    pytest.param([SQ, "scenario.trace=/no/such/trace.csv"], "scenario.trace", "file not found",
                 id="trace-file-not-found"),
]


@pytest.mark.parametrize(("overrides", "where", "expected"), CONFIG_CASES)
def test_load_config_names_key_path_and_expectation(overrides, where, expected):
    exc = config_error(overrides)
    assert exc.where == where, str(exc)
    assert str(exc).startswith(f"{where}: "), str(exc)
    assert expected in str(exc), str(exc)
    assert "\n" not in str(exc)


def test_shipped_configs_are_valid():
    """The error cases above start from configs that load cleanly."""
    assert load_config(composed([])).scenario.name == "default"
    assert load_config(composed([SQ])).scenario.name == "single_queue"


# ----------------------------------------------------------- valid edge cases


def test_zero_arrival_rate_is_valid_in_config():
    config = load_config(composed([SQ, "scenario.arrival_rate_per_hour=0"]))
    assert set(config.scenario.contact_types["calls"].rate_per_hour) == {0.0}
    profile = [0, 0, 0, 1] + [2] * 16 + [0, 0, 0, 0]
    config = load_config(composed([f"scenario.contact_types.billing.arrivals.profile=[{','.join(map(str, profile))}]"]))
    rates = config.scenario.contact_types["billing"].rate_per_hour
    assert rates[0] == rates[-1] == 0.0 and rates[4] > 0


def test_cli_runs_with_zero_arrival_rate(tmp_path):
    proc, out = run_sim(tmp_path, SQ, "scenario.arrival_rate_per_hour=0", *QUICK)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "summary.csv").is_file()


def test_cli_runs_with_zero_rate_intervals_in_profile(tmp_path):
    profile = [0, 0, 0, 0] + [5] * 16 + [0, 0, 0, 0]
    proc, out = run_sim(tmp_path, f"scenario.contact_types.billing.arrivals.profile=[{','.join(map(str, profile))}]",
                        "run.replications=2", "run.horizon_hours=3")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "summary.csv").is_file()


# ---------------------------------------------------------------------- traces

HEADER = "arrival_time_s,handle_time_s,patience_s"

# (lines of the CSV, line the error must name, phrase of what was expected)
BAD_TRACES = [
    pytest.param([HEADER, "10,120,60", "20,abc,60", "30,100,"], 3, "handle_time_s: expected a number",
                 id="non-numeric-handle-time"),
    pytest.param([HEADER, "10,120,60", "20,100"], 3, "expected 3 fields", id="too-few-fields"),
    pytest.param([HEADER, "10,120,60", "20,100,60,7"], 3, "expected 3 fields", id="too-many-fields"),
    pytest.param([HEADER, "-5,120,60", "20,100,60"], 2, "arrival_time_s: expected a non-negative number",
                 id="negative-arrival-time"),
    pytest.param([HEADER, "10,120,60", "20,-100,60"], 3, "handle_time_s: expected a non-negative number",
                 id="negative-handle-time"),
    pytest.param([HEADER, "10,120,60", "20,100,60", "15,100,60"], 4, "expected rows sorted by arrival time",
                 id="unsorted-rows"),
    pytest.param(["arrival_time_s,patience_s", "10,60"], 1, "missing column 'handle_time_s'",
                 id="missing-required-column"),
    pytest.param([HEADER + ",colour", "10,120,60,red"], 1, "unknown column 'colour'", id="unknown-column"),
    pytest.param(["arrival_time_s,contact_type,handle_time_s", "10,calls,120", "20,billing,100"], 3,
                 "unknown contact_type 'billing'", id="unknown-contact-type"),
]


@pytest.mark.parametrize(("lines", "line", "expected"), BAD_TRACES)
def test_read_trace_names_file_line_and_expectation(tmp_path, lines, line, expected):
    path = write_csv(tmp_path / "trace.csv", *lines)
    with pytest.raises(ConfigError) as info:
        read_trace(path, {"calls": object()})
    assert info.value.where == f"{path}:{line}", str(info.value)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_read_trace_counts_lines_of_the_file_across_blank_lines(tmp_path):
    path = write_csv(tmp_path / "trace.csv", HEADER, "10,120,60", "", "20,x,60")
    with pytest.raises(ConfigError) as info:
        read_trace(path, {"calls": object()})
    assert info.value.where == f"{path}:4"


def test_read_trace_requires_contact_type_column_with_several_types(tmp_path):
    path = write_csv(tmp_path / "trace.csv", HEADER, "10,120,60")
    with pytest.raises(ConfigError) as info:
        read_trace(path, {"billing": object(), "sales": object()})
    assert info.value.where == f"{path}:1"
    assert "missing column 'contact_type'" in str(info.value)


def test_read_trace_accepts_valid_rows(tmp_path):
    path = write_csv(tmp_path / "trace.csv", HEADER, "0,120,60", "0,90,", "35.5,100,inf")
    rows = read_trace(path, {"calls": object()})
    assert rows == (TraceContact(0.0, "calls", 120.0, 60.0), TraceContact(0.0, "calls", 90.0, None),
                    TraceContact(35.5, "calls", 100.0, None))


@pytest.mark.parametrize(("lines", "line", "expected"), BAD_TRACES)
def test_load_config_checks_trace_rows_before_running(tmp_path, lines, line, expected):
    path = write_csv(tmp_path / "trace.csv", *lines)
    exc = config_error([SQ, trace_override(path)])
    assert exc.where == f"{path}:{line}", str(exc)
    assert expected in str(exc)


CLI_TRACES = [
    pytest.param([HEADER, "10,120,60", "20,abc,60"], 3, ["handle_time_s"], id="non-numeric-handle-time"),
    pytest.param([HEADER, "10,120,60", "20,100"], 3, ["expected 3 fields"], id="too-few-fields"),
    pytest.param([HEADER, "-5,120,60"], 2, ["arrival_time_s", "non-negative"], id="negative-arrival-time"),
    pytest.param([HEADER, "10,120,60", "5,100,60"], 3, ["sorted by arrival time"], id="unsorted-rows"),
    pytest.param(["arrival_time_s,patience_s", "10,60"], 1, ["missing column 'handle_time_s'"],
                 id="missing-required-column"),
]


@pytest.mark.parametrize(("lines", "line", "expected"), CLI_TRACES)
def test_cli_reports_malformed_trace_with_file_and_line(tmp_path, lines, line, expected):
    path = write_csv(tmp_path / "trace.csv", *lines)
    proc, out = run_sim(tmp_path, SQ, trace_override(path), *QUICK)
    assert_one_line_error(proc, out, f"sim: error: {path}:{line}: ", *expected)


def test_cli_reports_bad_roster_concurrency_with_file_and_line(tmp_path):
    roster = write_csv(tmp_path / "roster.csv", "agent_id,group,start,end,concurrency", "ann,chat_team,08:00,16:00,",
                       "bob,chat_team,08:00,16:00,two")
    proc, out = run_sim(tmp_path, "scenario.agent_groups.chat_team.staffing=null", f"+scenario.roster='{roster}'",
                        *QUICK)
    assert_one_line_error(proc, out, f"sim: error: {roster}:3: concurrency: expected a whole number >= 1", "'two'")


def test_cli_runs_a_valid_trace(tmp_path):
    path = write_csv(tmp_path / "trace.csv", HEADER, "0,120,60", "30,90,", "3000,100,inf", "7300,100,")
    proc, out = run_sim(tmp_path, SQ, trace_override(path), *QUICK)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (out / "summary.csv").is_file()
