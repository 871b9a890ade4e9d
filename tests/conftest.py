"""Shared test helpers.

Statistical validation tests are marked ``validation``.  They run in a reduced
size by default (CI) and at full size with ``SIM_VALIDATION=full``:

    SIM_VALIDATION=full python -m pytest -m validation
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sim.model.config import RunSpec, SimConfig, load_config, resolve_run

REPO = Path(__file__).resolve().parent.parent
FULL_VALIDATION = os.environ.get("SIM_VALIDATION", "").lower() == "full"


def validation_size(reduced: int, full: int) -> int:
    """``full`` when SIM_VALIDATION=full, else ``reduced``."""
    return full if FULL_VALIDATION else reduced


def centre_config(scenario: dict[str, Any], **run: Any) -> SimConfig:
    """A validated config from a centre-form scenario mapping and run keys (config units)."""
    raw_run = {"replications": 1, "figures": False}
    raw_run.update(run)
    return load_config({"scenario": dict({"preset": "centre"}, **scenario), "run": raw_run})


def resolved(scenario, **run: Any) -> SimConfig:
    """A :class:`SimConfig` from a built :class:`Scenario` and :class:`RunSpec` fields (seconds)."""
    run.setdefault("figures", False)
    return SimConfig(scenario, resolve_run(RunSpec(**run), scenario))


@pytest.fixture
def repo() -> Path:
    return REPO
