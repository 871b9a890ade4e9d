"""Run, sweep and study folders for the report tests, made through the public API (quick: a few
replications of the default scenario)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from sim import load_config, run_experiment, write_outputs

from .conftest import REPO


def default_raw(replications: int = 4, **run: Any) -> dict[str, Any]:
    """The built-in default scenario with ``configs/config.yaml``'s run keys (figures off)."""
    top = yaml.safe_load((REPO / "configs" / "config.yaml").read_text(encoding="utf-8"))
    scenario = yaml.safe_load((REPO / "configs" / "scenario" / "default.yaml").read_text(encoding="utf-8"))
    keys = dict(top["run"], replications=replications, figures=False, **run)
    return {"scenario": scenario, "run": keys}


def more_generalists(raw: dict[str, Any]) -> dict[str, Any]:
    """``configs/experiment/more_generalists.yaml`` applied to ``raw``."""
    change = yaml.safe_load((REPO / "configs" / "experiment" / "more_generalists.yaml").read_text(encoding="utf-8"))
    out = copy.deepcopy(raw)
    out["scenario"]["name"] = change["scenario"]["name"]
    out["scenario"]["agent_groups"]["generalists"]["staffing"] = change["scenario"]["agent_groups"]["generalists"][
        "staffing"]
    return out


def run_folder(raw: dict[str, Any], folder: Path) -> Path:
    """Run ``raw`` and write its folder as ``python -m sim`` does (tables and ``config.yaml``)."""
    result = run_experiment(load_config(raw))
    write_outputs(result, folder, figures=False)
    (folder / "config.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return folder


def base_and_option(root: Path, replications: int = 4) -> tuple[Path, Path]:
    """The default scenario and ``more_generalists`` (same seed), as two run folders under ``root``."""
    raw = default_raw(replications=replications)
    return run_folder(raw, root / "base"), run_folder(more_generalists(raw), root / "more_generalists")


def default_with(replications: int = 2, **changes: Any) -> dict[str, Any]:
    """:func:`default_raw` with scenario keys changed: ``agent_groups__generalists__staffing=3`` sets
    ``scenario.agent_groups.generalists.staffing``."""
    raw = default_raw(replications=replications)
    for path, value in changes.items():
        node = raw["scenario"]
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    return raw
