"""Configs are data: what a composed configuration may not do.

A scenario, experiment or study file comes from whoever wrote it, and the analyst who runs it
may not have read every line. The simulator itself instantiates nothing from a config, but
Hydra, which composes it, imports and calls whatever some of its own settings name: callbacks
(``hydra.callbacks.<name>._target_``), the launcher and the sweeper (``_target_``), logging
handlers and formatters (``class``, ``()``), and the environment it sets for jobs
(``hydra.job.env_set``). :func:`refusal` looks at a composed configuration, with its ``hydra``
node and before anything runs, and names the first key that would run code or write where the
analyst did not ask:

- ``_target_`` (or Hydra's other instantiation keys) anywhere outside ``hydra``: nothing in the
  simulator's config is instantiated, so such a key is either a mistake or a probe;
- a Hydra callback other than the simulator's own sweep callback;
- a launcher or sweeper that is not Hydra's own or an installed Hydra plugin (``hydra_plugins``);
- logging handlers, formatters or filters built by a factory (``()``) or from a class outside the
  standard library's :mod:`logging`;
- environment variables for the job (``hydra.job.env_set``);
- output folders (``hydra.run.dir``, ``hydra.sweep.dir``, ``hydra.sweep.subdir``) other than the
  simulator's unless given on the command line (``explicit``): a file cannot send the outputs
  elsewhere. The scenario's name, which names the folder under ``results/``, is a plain file name
  (:func:`sim.model.config.scenario_name`).

Pure functions of plain mappings (``OmegaConf.to_container(cfg, resolve=False)``); nothing here
imports Hydra.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["INSTANTIATION_KEYS", "ALLOWED_CALLBACKS", "refusal"]

#: Keys by which Hydra's ``instantiate`` would import and call something.
INSTANTIATION_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_")
#: The Hydra callbacks the simulator registers itself (configs/config.yaml), by name.
ALLOWED_CALLBACKS = {"sweep": "sim.sweep.SweepCallback"}
#: Where a launcher or sweeper may come from: Hydra itself, or a Hydra plugin the analyst installed.
PLUGIN_PREFIXES = ("hydra._internal.core_plugins.", "hydra_plugins.")
#: Output folders a config file may not move (the command line may).
OUTPUT_KEYS = ("run.dir", "sweep.dir", "sweep.subdir")
REFUSED = "refused: configs are data"


def _instantiation_key(node: Any, path: str) -> str | None:
    """The path of the first instantiation key under ``node``, or None."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if key in INSTANTIATION_KEYS:
                return here
            found = _instantiation_key(value, here)
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found = _instantiation_key(value, f"{path}[{i}]")
            if found:
                return found
    return None


def _logging_code(node: Any, path: str) -> str | None:
    """The path of a logging setting that builds an object from code outside :mod:`logging`, or None."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key == "()" or key in INSTANTIATION_KEYS:
                return here
            if key == "class" and not (isinstance(value, str) and value.startswith("logging.")):
                return here
            found = _logging_code(value, here)
            if found:
                return found
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found = _logging_code(value, f"{path}[{i}]")
            if found:
                return found
    return None


def _get(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def refusal(cfg: Mapping[str, Any], reference: Mapping[str, Any] | None = None,
            explicit: Collection[str] = ()) -> str | None:
    """One line naming the first key of ``cfg`` that would run code or move the outputs, or None.

    ``cfg``: a composed configuration as a plain mapping, its ``hydra`` node included, unresolved.
    ``reference``: the simulator's own ``hydra`` node (composed from ``configs/config.yaml`` alone),
    for the output folders; ``explicit``: the ``hydra.*`` keys the command line sets itself.
    """
    for key, value in cfg.items():
        if key == "hydra":
            continue
        found = _instantiation_key(value, str(key))
        if found:
            return f"{found}: {REFUSED}; nothing in a config is instantiated (remove the key)"
    hydra = cfg.get("hydra")
    if not isinstance(hydra, Mapping):
        return None
    for name, spec in (hydra.get("callbacks") or {}).items():
        target = spec.get("_target_") if isinstance(spec, Mapping) else None
        if ALLOWED_CALLBACKS.get(str(name)) != target or set(spec) != {"_target_"}:
            return (f"hydra.callbacks.{name}: {REFUSED}; a config file cannot add Hydra callbacks (they run code): "
                    f"only the simulator's own ({', '.join(f'{k}: {v}' for k, v in ALLOWED_CALLBACKS.items())})")
    for section in ("launcher", "sweeper"):
        target = _get(hydra, f"{section}._target_")
        if target is not None and not str(target).startswith(PLUGIN_PREFIXES):
            return (f"hydra.{section}._target_: {REFUSED}; a {section} must be Hydra's own or an installed Hydra "
                    f"plugin (hydra_plugins.*), got {target!r}")
    for section in ("job_logging", "hydra_logging"):
        found = _logging_code(hydra.get(section), f"hydra.{section}")
        if found:
            return (f"{found}: {REFUSED}; logging may use the standard library's logging classes only "
                    "(no '()' factories)")
    env = _get(hydra, "job.env_set")
    if env:
        return f"hydra.job.env_set: {REFUSED}; a config file cannot set environment variables for the run"
    if reference is not None:
        for key in OUTPUT_KEYS:
            if f"hydra.{key}" in explicit:
                continue
            if _get(hydra, key) != _get(reference, key):
                return (f"hydra.{key}: {REFUSED}; a config file cannot move the outputs (give hydra.{key}=... on "
                        f"the command line)")
    return None
