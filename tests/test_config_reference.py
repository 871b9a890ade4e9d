"""Keep docs/configuration.md and the configs in sync with the schema in sim.model.config.

The reference has one ``## <pattern>`` section per entry of ``sim.model.config.SCHEMA``
(the pattern may be wrapped in backticks so that ``<type>`` renders), each with a
table whose first column lists the keys as ``` `key` ```.  Every key used by the
shipped YAML configs must be one the schema allows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.model import config as schema

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
CONFIG_YAML = ROOT / "configs" / "config.yaml"
SCENARIO_DIR = ROOT / "configs" / "scenario"

COLUMNS = ["key", "unit", "default", "allowed values", "meaning"]


# ------------------------------------------------------------------ parsing


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a literal pipe, not a separator)."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def _sections(text: str) -> dict[str, list[str]]:
    """``## heading`` (backticks stripped) -> lines of that section."""
    sections: dict[str, list[str]] = {}
    current = None
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            current = line[3:].strip().strip("`").strip()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return sections


def _table(lines: list[str]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The first Markdown table in ``lines``: its header and ``{key: {column: cell}}``.

    A key appearing twice is kept under ``key#2`` so that duplicates are visible.
    """
    header: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    started = False
    for line in lines:
        if not line.strip().startswith("|"):
            if started:
                break
            continue
        cells = _cells(line)
        if not started:
            header, started = cells, True
            continue
        if all(set(c) <= set(":- ") for c in cells):
            continue  # the |---|---| separator
        match = re.fullmatch(r"`([^`]+)`", cells[0])
        key = match.group(1) if match else cells[0]
        name = key
        while name in rows:
            name += "#2"
        rows[name] = dict(zip(header, cells))
    return header, rows


@pytest.fixture(scope="module")
def doc_sections() -> dict[str, list[str]]:
    assert DOC.is_file(), f"missing configuration reference {DOC}"
    return _sections(DOC.read_text(encoding="utf-8"))


def _section_table(doc_sections, pattern: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    assert pattern in doc_sections, (
        f"docs/configuration.md has no section '## {pattern}' (SCHEMA entry); sections: {', '.join(doc_sections)}")
    header, rows = _table(doc_sections[pattern])
    assert header, f"docs/configuration.md section '{pattern}' has no key table"
    return header, rows


# ------------------------------------------------------- doc versus SCHEMA


@pytest.mark.parametrize("pattern", list(schema.SCHEMA))
def test_doc_section_table_has_the_reference_columns(doc_sections, pattern):
    header, _ = _section_table(doc_sections, pattern)
    assert [h.lower() for h in header] == COLUMNS, (
        f"docs/configuration.md section '{pattern}': table columns {header}, expected {COLUMNS}")


@pytest.mark.parametrize("pattern", list(schema.SCHEMA))
def test_doc_section_lists_exactly_the_schema_keys(doc_sections, pattern):
    _, rows = _section_table(doc_sections, pattern)
    allowed = schema.SCHEMA[pattern]
    documented = list(rows)
    missing = [k for k in allowed if k not in rows]
    extra = [k for k in documented if k not in allowed]
    assert not missing, f"docs/configuration.md section '{pattern}' does not document key(s): {', '.join(missing)}"
    assert not extra, (f"docs/configuration.md section '{pattern}' documents key(s) not in SCHEMA['{pattern}']: "
                       f"{', '.join(extra)}")


@pytest.mark.parametrize("pattern", list(schema.SCHEMA))
def test_doc_rows_have_every_column_filled(doc_sections, pattern):
    _, rows = _section_table(doc_sections, pattern)
    for key, row in rows.items():
        empty = [c for c in COLUMNS if not row.get(c)]
        assert not empty, f"docs/configuration.md '{pattern}' row `{key}` has empty column(s): {', '.join(empty)}"


def test_doc_has_no_sections_for_patterns_missing_from_schema(doc_sections):
    stale = [h for h, lines in doc_sections.items() if _table(lines)[0] and [c.lower() for c in _table(lines)[0]] == COLUMNS
             and h not in schema.SCHEMA]
    assert not stale, f"docs/configuration.md has key tables for patterns not in SCHEMA: {', '.join(stale)}"


CHOICES = [
    ("DISTRIBUTION_KINDS", "<distribution>", "dist"),
    ("AGENT_SELECTIONS", "scenario.routing", "agent_selection"),
    ("QUEUE_SELECTIONS", "scenario.routing", "queue_selection"),
    ("SERVICE_LEVEL_VARIANTS", "run", "service_level_variant"),
]


@pytest.mark.parametrize("constant, pattern, key", CHOICES)
def test_doc_lists_every_allowed_value_of_a_choice_key(doc_sections, constant, pattern, key):
    _, rows = _section_table(doc_sections, pattern)
    assert key in rows, f"docs/configuration.md section '{pattern}' does not document key: {key}"
    cell = rows[key]["allowed values"]
    missing = [v for v in getattr(schema, constant) if f"`{v}`" not in cell]
    assert not missing, (f"docs/configuration.md '{pattern}' row `{key}`: allowed values lack {constant} "
                         f"value(s) {', '.join(missing)} (written as `value`)")


def test_doc_run_defaults_match_configs_config_yaml(doc_sections):
    _, rows = _section_table(doc_sections, "run")
    run = yaml.safe_load(CONFIG_YAML.read_text(encoding="utf-8"))["run"]
    for key, value in run.items():
        if key not in rows:
            continue  # reported by the key tests
        expected = "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        default = rows[key]["default"]
        assert default.startswith(f"`{expected}`"), (
            f"docs/configuration.md 'run' row `{key}`: default {default!r}, configs/config.yaml has {expected}")


# ----------------------------------------------------- configs versus SCHEMA


def _unknown(mapping, allowed: tuple[str, ...], where: str) -> list[str]:
    assert isinstance(mapping, dict), f"{where}: expected a mapping, got {mapping!r}"
    return [f"{where}.{k}" if where else str(k) for k in mapping if k not in allowed]


def _distribution_problems(value, where: str) -> list[str]:
    if value is None:
        return []
    return _unknown(value, schema.SCHEMA["<distribution>"], where)


def _scenario_problems(scenario: dict, where: str = "scenario") -> list[str]:
    """Keys of a scenario mapping (and everything under it) that SCHEMA does not allow."""
    S = schema.SCHEMA
    if scenario.get("preset", "centre") == "single_queue":
        return _unknown(scenario, S["scenario (preset: single_queue)"], where)
    problems = _unknown(scenario, S["scenario (preset: centre)"], where)
    for name, channel in (scenario.get("channels") or {}).items():
        problems += _unknown(channel, S["scenario.channels.<channel>"], f"{where}.channels.{name}")
    for name, ctype in (scenario.get("contact_types") or {}).items():
        at = f"{where}.contact_types.{name}"
        problems += _unknown(ctype, S["scenario.contact_types.<type>"], at)
        if ctype.get("arrivals") is not None:
            problems += _unknown(ctype["arrivals"], S["scenario.contact_types.<type>.arrivals"], f"{at}.arrivals")
        if ctype.get("escalation") is not None:
            problems += _unknown(ctype["escalation"], S["scenario.contact_types.<type>.escalation"], f"{at}.escalation")
        problems += _distribution_problems(ctype.get("handle_time"), f"{at}.handle_time")
        problems += _distribution_problems(ctype.get("patience"), f"{at}.patience")
        for group, dist in (ctype.get("handle_time_by_group") or {}).items():
            problems += _distribution_problems(dist, f"{at}.handle_time_by_group.{group}")
    for name, group in (scenario.get("agent_groups") or {}).items():
        problems += _unknown(group, S["scenario.agent_groups.<group>"], f"{where}.agent_groups.{name}")
    if scenario.get("routing") is not None:
        problems += _unknown(scenario["routing"], S["scenario.routing"], f"{where}.routing")
    return problems


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: expected a YAML mapping"
    return data


def _scenario_of(path: Path) -> tuple[dict, dict]:
    """(scenario mapping, run mapping) of a file in configs/scenario/."""
    data = _load(path)
    text = path.read_text(encoding="utf-8")
    if re.search(r"^#\s*@package\s+_global_", text, re.M):
        return data.get("scenario") or {}, data.get("run") or {}
    return data, {}


def test_config_yaml_top_level_and_run_keys_are_in_schema():
    data = _load(CONFIG_YAML)
    top = [k for k in data if k not in ("defaults", "hydra")]  # Hydra's own keys
    problems = [f"configs/config.yaml: top-level key '{k}' not in TOP_KEYS" for k in top if k not in schema.TOP_KEYS]
    problems += [f"configs/config.yaml: key '{p}' not in SCHEMA['run']"
                 for p in _unknown(data.get("run") or {}, schema.SCHEMA["run"], "run")]
    assert not problems, "\n".join(problems)


def test_config_yaml_run_block_sets_every_run_key():
    run = _load(CONFIG_YAML).get("run") or {}
    missing = [k for k in schema.SCHEMA["run"] if k not in run]
    assert not missing, f"configs/config.yaml run block does not set run key(s): {', '.join(missing)}"


SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.yaml"))


def test_both_shipped_scenarios_are_checked():
    names = {p.stem for p in SCENARIO_FILES}
    assert {"default", "single_queue"} <= names, f"expected default and single_queue in configs/scenario/, got {names}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_yaml_keys_are_in_schema(path):
    scenario, run = _scenario_of(path)
    rel = path.relative_to(ROOT)
    problems = [f"{rel}: key '{p}' not allowed by SCHEMA" for p in _scenario_problems(scenario)]
    problems += [f"{rel}: key '{p}' not in SCHEMA['run']" for p in _unknown(run, schema.SCHEMA["run"], "run")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_scenario_yaml_walk_sees_nested_mappings(path):
    """The walk above must reach the nested levels it claims to check (guards against a vacuous pass)."""
    scenario, _ = _scenario_of(path)
    assert scenario, f"{path.relative_to(ROOT)}: no scenario mapping found"
    if scenario.get("preset", "centre") == "centre":
        for key in ("channels", "contact_types", "agent_groups"):
            assert scenario.get(key), f"{path.relative_to(ROOT)}: scenario.{key} is empty or missing"


def test_key_walk_reports_unknown_nested_keys_with_their_path():
    bad = {
        "preset": "centre", "colour": 1,
        "channels": {"phone": {"service_level_threshold_s": 20, "service_level_target": 0.8, "x": 1}},
        "contact_types": {"a": {"channel": "phone", "arrivals": {"rate": 1}, "escalation": {"p": 0.1},
                                "handle_time": {"dist": "exponential", "mean": 1},
                                "handle_time_by_group": {"g": {"dist": "gamma", "sd": 1}}}},
        "agent_groups": {"g": {"skills": ["a"], "staff": 1}},
        "routing": {"agent": "longest_idle"},
    }
    assert sorted(_scenario_problems(bad)) == sorted([
        "scenario.colour", "scenario.channels.phone.x", "scenario.contact_types.a.arrivals.rate",
        "scenario.contact_types.a.escalation.p", "scenario.contact_types.a.handle_time.mean",
        "scenario.contact_types.a.handle_time_by_group.g.sd", "scenario.agent_groups.g.staff",
        "scenario.routing.agent",
    ])
    assert _scenario_problems({"preset": "single_queue", "agent": 3}) == ["scenario.agent"]
