"""``python -m sim``: the Hydra entry point (the only module that imports Hydra).

It composes ``configs/config.yaml`` with the command-line overrides, turns the
result into a validated :class:`~sim.config.SimConfig`, runs the replications
and writes tables and figures into the run's folder under ``results/``.

Before Hydra starts, the same overrides are composed and validated once, so a
wrong key, type or value is reported as one line naming the key path, with
exit status 2 and no traceback, before any output folder is made.
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


def _overrides(argv: list[str]) -> list[str] | None:
    """The config overrides in ``argv``, or ``None`` if Hydra flags make a pre-check moot."""
    out = []
    for arg in argv:
        if arg.startswith("-"):
            return None  # --multirun, --help, --cfg, -cn ...: leave them to Hydra
        if arg.lstrip("+~").startswith("hydra.") or arg.lstrip("+~").startswith("hydra/"):
            continue
        out.append(arg)
    return out


def precheck(argv: list[str]) -> None:
    """Compose and validate the config the overrides describe; exit 2 with one line if it is wrong."""
    overrides = _overrides(argv)
    if overrides is None:
        return
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    from .config import load_config
    from .errors import ConfigError

    try:
        GlobalHydra.instance().clear()
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="config", overrides=overrides)
        load_config(OmegaConf.to_container(cfg, resolve=True))
    except ConfigError as exc:
        _fail(str(exc))
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
        _fail(_one_line(exc, siblings))
    finally:
        GlobalHydra.instance().clear()


def run_job(cfg) -> Path:
    """Run one scenario from a composed Hydra config; returns the output folder."""
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf

    from .config import load_config
    from .errors import ConfigError
    from .experiment import format_summary, run_experiment, write_outputs

    raw = OmegaConf.to_container(cfg, resolve=True)
    try:
        config = load_config(raw)
    except ConfigError as exc:
        _fail(str(exc))
    out = Path(HydraConfig.get().runtime.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(raw)), encoding="utf-8")
    started = time.perf_counter()
    result = run_experiment(config, contact_log=out / "contacts.parquet" if config.run.save_contacts else None)
    write_outputs(result, out, figures=config.run.figures)
    elapsed = time.perf_counter() - started
    run = config.run
    print(f"scenario '{config.scenario.name}': {run.replications} replications of "
          f"{(run.horizon_s - run.warmup_s) / 3600:g} h (after {run.warmup_s / 3600:g} h warm-up), "
          f"seed {run.seed}, {elapsed:.1f} s")
    print(format_summary(result.summary, run.confidence))
    print(f"outputs: {out}")
    return out


def main() -> None:
    precheck(sys.argv[1:])
    import hydra

    app = hydra.main(config_path=CONFIG_DIR, config_name="config", version_base="1.3")(run_job)
    app()


if __name__ == "__main__":
    main()
