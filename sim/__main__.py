"""``python -m sim``: the Hydra entry point (Hydra stays here and in :mod:`sim.sweep`; the model never sees it).

It composes ``configs/config.yaml`` with the command-line overrides, turns the
result into a validated :class:`~sim.model.config.SimConfig`, runs the replications
and writes tables and figures into the run's folder under ``results/``.

Before Hydra starts, the same overrides are composed and validated once, so a
wrong key, type or value is reported as one line naming the key path, with
exit status 2 and no traceback, before any output folder is made.  With
``-m/--multirun`` the sweep is expanded and its points checked the same way
before any job starts; then each point runs as a job that skips itself if it is
done already and records its error instead of stopping the sweep (:mod:`sim.sweep`,
whose Hydra callback writes the sweep table when the sweep ends).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "configs")
EXIT_CONFIG = 2


def _fail(message: str) -> None:
    print(f"sim: error: {message}", file=sys.stderr)
    sys.exit(EXIT_CONFIG)


def _one_line(exc: BaseException, siblings=None) -> str:
    """Hydra's multi-line composition errors, said in one line with the key path first.

    ``siblings(path)`` lists the keys next to an unknown key, for a suggestion.
    """
    import difflib
    import re

    cause = exc.__cause__
    full_key = getattr(cause, "full_key", None)
    if full_key and "not in struct" in str(cause):
        parent, _, key = str(full_key).rpartition(".")
        if _schema_allows(parent, key):
            return (f"{full_key}: a valid key that is not in the composed config; add it with a leading '+': "
                    f"+{full_key}=...")
        options = siblings(parent) if siblings else []
        close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        listing = f"; allowed keys: {', '.join(options)}" if options else ""
        return f"{full_key}: unknown key{hint}{listing}"
    missing = re.search(r"Could not find '([^/']+)/([^']+)'.*?Available options in '[^']+':(.*?)Config search path",
                        str(exc), re.S)
    if missing:
        group, name, options = missing.groups()
        return f"{group}: no config named '{name}'; available: {', '.join(options.split())}"
    parts = []
    while exc is not None and len(parts) < 3:
        text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        if text and text not in parts:
            parts.append(text)
        exc = exc.__cause__
    return "; ".join(parts) or type(exc).__name__


def _schema_allows(parent: str, key: str) -> bool:
    """Whether ``key`` is allowed under the config path ``parent`` by :data:`sim.model.config.SCHEMA`
    (``<name>`` matches any name, ``x[]`` any ``x[i]``)."""
    import re

    from sim.model.config import SCHEMA

    segments = parent.split(".") if parent else []
    for pattern, keys in SCHEMA.items():
        parts = pattern.split(" (")[0].split(".")
        if key in keys and len(parts) == len(segments) and all(
                p.startswith("<") or p == s or (p.endswith("[]") and re.fullmatch(re.escape(p[:-2]) + r"\[\d+\]", s))
                for p, s in zip(parts, segments)):
            return True
    return False


MULTIRUN_FLAGS = ("-m", "--multirun")
#: a sweep with at most this many points has every point validated before it starts; a larger one
#: has each value of each swept key validated with the other keys' first values.
FULL_CHECK_POINTS = 1000


def _overrides(argv: list[str]) -> tuple[bool, list[str]] | None:
    """``(multirun, config overrides)`` in ``argv``, or ``None`` if Hydra flags make a pre-check moot."""
    out = []
    multirun = False
    for arg in argv:
        if arg in MULTIRUN_FLAGS:
            multirun = True
            continue
        if arg.startswith("-"):
            return None  # --help, --cfg, -cn ...: leave them to Hydra
        if arg.lstrip("+~").startswith("hydra.") or arg.lstrip("+~").startswith("hydra/"):
            continue
        out.append(arg)
    return multirun, out


def _group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (Path(CONFIG_DIR) / group).glob("*.yaml"))


def precheck(argv: list[str]) -> None:
    """Compose and validate the config the overrides describe; exit 2 with one line if it is wrong.

    With ``-m/--multirun`` the sweep is expanded first (Hydra's override parser): an override
    that does not parse or an empty sweep fails naming its key, then the points are composed and
    validated (all of them, or for a huge sweep each value of each swept key),
    so a bad sweep stops before any job starts.
    """
    parsed = _overrides(argv)
    if parsed is None:
        return
    multirun, overrides = parsed
    if not multirun:
        _check_point(overrides)
        return
    from sim.experiments.sweeps import SweepSpecError, expand_sweep, sweep_points

    try:
        axes = expand_sweep(overrides, _group_options)
    except SweepSpecError as exc:
        _fail(str(exc))
    n_points = 1
    for _, values, _ in axes:
        n_points *= len(values)
    if n_points <= FULL_CHECK_POINTS:
        points = sweep_points(axes)
    else:
        first = [values[0] for _, values, _ in axes]
        points = [first]
        for i, (_, values, swept) in enumerate(axes):
            if swept:
                points.extend(first[:i] + [value] + first[i + 1:] for value in values[1:])
    _check_points(points, [swept for _, _, swept in axes])


def _is_group(override: str) -> bool:
    key = override.split("=", 1)[0].lstrip("+~").split("@", 1)[0]
    return "." not in key and (Path(CONFIG_DIR) / key).is_dir()


def _check_points(points: list[list[str]], swept: list[bool]) -> None:
    """Validate every sweep point; exit 2 with one line naming the key at the first bad one.

    Fast path: the config is composed once per choice of config groups, and each point's
    value overrides are applied to a copy of it; a point that fails there is composed
    afresh by :func:`_check_point`, which words the error.
    """
    import copy

    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.model.config import load_config

    parser = OverridesParser.create()
    bases: dict[tuple[str, ...], object] = {}
    for point in points:
        groups = tuple(o for o in point if _is_group(o))
        values = [o for o in point if not _is_group(o)]
        try:
            if groups not in bases:
                bases[groups] = _compose(list(groups))
            cfg = copy.deepcopy(bases[groups])
            ConfigLoaderImpl._apply_overrides_to_config(parser.parse_overrides(values), cfg)
            load_config(OmegaConf.to_container(cfg, resolve=True))
        except Exception:
            swept_here = [item for item, is_swept in zip(point, swept) if is_swept]
            _check_point(point, f" (sweep point {' '.join(swept_here)})" if swept_here else "")


def _compose(overrides: list[str]):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose(config_name="config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def _check_point(overrides: list[str], where: str = "") -> None:
    """Compose one point's overrides and validate the config; exit 2 with one line if it is wrong."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from sim.engine.errors import ConfigError
    from sim.model.config import load_config

    try:
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
        load_config(OmegaConf.to_container(cfg, resolve=True))
    except ConfigError as exc:
        _fail(str(exc) + where)
    except Exception as exc:  # Hydra / OmegaConf composition errors
        groups_only = [o for o in overrides if "=" in o and "." not in o.split("=", 1)[0]]

        def siblings(path: str) -> list[str]:
            try:
                with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
                    base = compose(config_name="config", overrides=groups_only)
                node = OmegaConf.select(base, path) if path else base
                return [str(k) for k in node.keys()] if node is not None else []
            except Exception:
                return []
            finally:
                GlobalHydra.instance().clear()

        GlobalHydra.instance().clear()
        _fail(_one_line(exc, siblings) + where)
    finally:
        GlobalHydra.instance().clear()


def run_job(cfg) -> Path | None:
    """Run one scenario from a composed Hydra config; returns the output folder.

    A single run reports a bad config as one line and exits 2.  A sweep point
    (``-m``) never exits: a point already done in this folder (``done`` marker
    with the same overrides) is skipped; a point that fails is recorded in its
    folder as ``error.txt`` and the sweep goes on (returns ``None``).
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        from sim.engine.errors import ConfigError

        try:
            return _run(cfg, Path(hydra_cfg.runtime.output_dir), multirun=False)
        except ConfigError as exc:  # found while running, e.g. an unreachable run.scheduler_address
            _fail(str(exc))

    from sim.experiments import sweeps as sweep

    out = Path(hydra_cfg.runtime.output_dir)
    overrides = [str(o) for o in hydra_cfg.overrides.task]
    if sweep.is_done(out, overrides):
        print(f"skipped: {out} is done already ({' '.join(overrides)})")
        return out
    sweep.clear_status(out)
    try:
        _run(cfg, out, multirun=True)
    except Exception as exc:
        line = sweep.record_failure(out, exc)
        print(f"sim: point failed: {out}: {line}", file=sys.stderr)
        return None
    sweep.mark_done(out, overrides)
    return out


def _run(cfg, out: Path, *, multirun: bool) -> Path:
    from omegaconf import OmegaConf

    from sim.engine.errors import ConfigError
    from sim.experiments.files import atomic_write
    from sim.experiments.replications import format_days, format_summary
    from sim.experiments.sequential import resolve_warmup, run_configured
    from sim.model.config import load_config
    from sim.reporting.outputs import write_outputs

    raw = OmegaConf.to_container(cfg, resolve=True)
    try:
        config = load_config(raw)
    except ConfigError as exc:
        if multirun:
            raise
        _fail(str(exc))
    out.mkdir(parents=True, exist_ok=True)
    text = OmegaConf.to_yaml(OmegaConf.create(raw))
    atomic_write(out / "config.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    started = time.perf_counter()
    if config.run.warmup_auto:
        config, warmup = resolve_warmup(config)
        _write_json(out / "warmup.json", warmup)
        print(f"warm-up detected by MSER-5 on {warmup['pilot_replications']} pilot replications: "
              f"{warmup['warmup_s'] / 3600:g} h" + (" (at the search limit: run longer)" if warmup["at_limit"] else ""))
    contact_log = out / "contacts.parquet" if config.run.save_contacts else None
    from sim.experiments.progress import Progress

    with Progress("replications") as progress:  # a bar on a terminal, quiet lines otherwise (stderr)
        result, precision = run_configured(config, contact_log=contact_log, progress=progress)
    if precision is not None:
        _write_json(out / "precision.json", precision)
        print(f"sequential replications: {precision['channel']}.{precision['metric']} = {precision['mean']:.4g} "
              f"± {precision['half_width']:.3g} after {precision['replications']} replications; target "
              f"± {precision['target_half_width']:g} {'met' if precision['met'] else 'NOT met (cap reached)'}")
    write_outputs(result, out, figures=config.run.figures)
    elapsed = time.perf_counter() - started
    run = result.config.run
    span = f"{run.days} days of {run.day_open_s / 3600:g} h" if run.days > 1 else \
        f"{(run.horizon_s - run.warmup_s) / 3600:g} h"
    print(f"scenario '{config.scenario.name}': {run.replications} replications of {span} "
          f"(after {run.warmup_s / 3600:g} h warm-up), "
          f"seed {run.seed}, {elapsed:.1f} s")
    print(format_summary(result.summary, run.confidence))
    if result.days is not None and not result.days.empty:
        print(format_days(result.days, run.confidence))
    print(f"outputs: {out}")
    return out


def _write_json(path: Path, data: dict) -> None:
    import json

    from sim.experiments.files import atomic_write

    text = json.dumps(data, indent=2, default=float) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def main() -> None:
    precheck(sys.argv[1:])
    import hydra

    app = hydra.main(config_path=CONFIG_DIR, config_name="config", version_base="1.3")(run_job)
    app()


if __name__ == "__main__":
    main()
