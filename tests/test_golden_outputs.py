"""The outputs of four reference runs, reproduced bit for bit.

``tests/golden/<case>/`` holds the CSV tables ``python -m sim <overrides>`` wrote for
each case (``run.figures=false``), and ``fingerprint.json`` the SHA-256 of every
table printed at full precision (``repr`` of each float).  A refactoring must leave
both unchanged: same config and seed, same numbers.  The runs go through the public
API only (``from sim import ...``) on configs composed from ``configs/`` as the
command line composes them, so the test survives any move of the modules below.

After an intended change of the numbers, regenerate with::

    python -m tests.test_golden_outputs
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim import load_config, run_experiment, write_outputs

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
CASES = {
    "default": [],
    "shifts_and_costs": ["+experiment=shifts_and_costs"],
    "days3": ["run.days=3"],
    "single_queue": ["scenario=single_queue"],
}
TABLES = ("summary", "intervals", "groups", "replications", "days", "types", "type_intervals", "group_intervals")


def _config(overrides: list[str]):
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
            cfg = compose(config_name="config", overrides=[*overrides, "run.figures=false"])
        return load_config(OmegaConf.to_container(cfg, resolve=True))
    finally:
        GlobalHydra.instance().clear()


def _fingerprint(result) -> dict[str, str]:
    """SHA-256 of each table at full float precision."""
    out = {}
    for name in TABLES:
        table = getattr(result, name)
        if table is not None:
            out[name] = hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_reference_run_reproduces_its_recorded_outputs(case: str, tmp_path: Path) -> None:
    result = run_experiment(_config(CASES[case]))
    written = {p.name for p in write_outputs(result, tmp_path, figures=False)}
    expected = sorted(p.name for p in (GOLDEN / case).iterdir() if p.name != "fingerprint.json")  # tables, warnings
    assert sorted(written) == expected, f"{case}: tables written {sorted(written)}, recorded {expected}"
    for name in expected:
        got = (tmp_path / name).read_bytes()
        want = (GOLDEN / case / name).read_bytes()
        assert got == want, f"{case}/{name} differs from tests/golden/{case}/{name}"
    recorded = json.loads((GOLDEN / case / "fingerprint.json").read_text(encoding="utf-8"))
    assert _fingerprint(result) == recorded, f"{case}: full-precision tables differ from the recorded fingerprint"


def regenerate() -> None:
    """Rewrite tests/golden/ from today's code (only after an intended change of the numbers)."""
    for case, overrides in CASES.items():
        folder = GOLDEN / case
        for old in folder.glob("*"):
            old.unlink()
        result = run_experiment(_config(overrides))
        write_outputs(result, folder, figures=False)
        (folder / "fingerprint.json").write_text(json.dumps(_fingerprint(result), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {folder}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
