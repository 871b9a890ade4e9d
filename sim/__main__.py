"""``python -m sim``: the Hydra entry point (Hydra stays here and in :mod:`sim.sweep`; the model never sees it).

It composes ``configs/config.yaml`` with the command-line overrides, turns the
result into a validated :class:`~sim.model.config.SimConfig`, runs the replications
and writes tables and figures into the run's folder under ``results/``.

Before Hydra starts, the command line is split as Hydra splits it (Hydra's own
argument parser: its flags in any order and abbreviation, then the overrides),
every config file the composition will read is read once with
:func:`sim.engine.inputs.load_yaml` (a file that is not UTF-8 text, not YAML,
or whose aliases would expand without bound is named with its line), and the
overrides are composed and validated once, so a
wrong key, type or value is reported as one line naming the key path, with
exit status 2 and no traceback, before any output folder is made.  With
``-m/--multirun`` the sweep is expanded and its points checked the same way
before any job starts; then each point runs as a job that skips itself if it is
done already and records its error instead of stopping the sweep (:mod:`sim.sweep`,
whose Hydra callback writes the sweep table when the sweep ends).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "configs")
EXIT_CONFIG = 2
SWEEP_POINTS_ENV = "SIM_SWEEP_POINTS"  # the number of points of the sweep being run, for "point k/N"
SWEPT_KEYS_ENV = "SIM_SWEPT_KEYS"  # its swept keys, one a line: a point's line shows only their values


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


#: Where configs come from: the primary folder and config name, then the folder --config-dir adds
#: (and those a sweep's parent process passed on in :data:`CONFIG_DIRS_ENV`).
CONFIG_DIRS_ENV = "SIM_CONFIG_DIRS"  # the extra config folders (--config-dir), for sweep workers
#: a sweep with at most this many points has every point validated before it starts; a larger one
#: has each value of each swept key validated with the other keys' first values.
FULL_CHECK_POINTS = 1000
SOURCE = {"dir": CONFIG_DIR, "name": "config", "extra": [d for d in os.environ.get(CONFIG_DIRS_ENV, "").split(os.pathsep)
                                                        if d]}


@dataclass(frozen=True)
class Command:
    """The command line as Hydra reads it: whether a job runs (not with ``--cfg`` or ``--info``),
    whether it is a sweep, the config overrides and the ``hydra.*`` overrides."""

    runs: bool
    multirun: bool
    overrides: list[str]
    hydra_args: list[str]


def _hydra_flags(argv: list[str]):
    """``argv`` parsed by the parser ``hydra.main`` itself uses, so that flags are found in any order,
    combined (``-mr``) or abbreviated (``--config-d``) exactly as Hydra finds them; its errors (an
    unknown or ambiguous flag, an override after a flag that follows the overrides) are one line."""
    from hydra._internal.utils import get_args_parser

    parser = get_args_parser()

    def error(message: str) -> None:
        hint = " (Hydra's flags, such as -m or --config-dir, go before the overrides)" \
            if message.startswith("unrecognized arguments") else ""
        _fail(f"{message}{hint}; see python -m sim --hydra-help")

    parser.error = error  # type: ignore[method-assign]
    return parser.parse_args(argv)


def _overrides(argv: list[str]) -> Command | None:
    """The :class:`Command` in ``argv``, or ``None`` when Hydra composes nothing (``--hydra-help``,
    ``--version``, ``--shell-completion``); notes ``--config-dir``, ``--config-name`` and
    ``--config-path`` in :data:`SOURCE`. ``--experimental-rerun`` (it loads a pickle) is refused.

    Hydra's flags are read by Hydra's own parser (:func:`_hydra_flags`): any flag it knows, wherever
    it stands (``-r``, ``--multi``, ``--config-d D`` ...), is seen here too, so no flag skips the
    pre-check. ``--cfg``, ``--info``: Hydra composes the config and prints it; no job runs."""
    args = _hydra_flags(argv)
    if args.experimental_rerun is not None:
        _fail("--experimental-rerun: refused: it loads a pickled config, which can run any code")
    if args.config_dir is not None:
        folder = Path(args.config_dir).expanduser().resolve()
        if not folder.is_dir():
            _fail(f"--config-dir: no such folder: {args.config_dir}")
        if str(folder) not in SOURCE["extra"]:
            SOURCE["extra"].append(str(folder))
        os.environ[CONFIG_DIRS_ENV] = os.pathsep.join(SOURCE["extra"])
    if args.config_name is not None:
        SOURCE["name"] = args.config_name
    if args.config_path is not None:
        value = args.config_path
        folder = Path(value) if Path(value).is_absolute() else Path(__file__).resolve().parent / value
        SOURCE["dir"] = str(folder.resolve())
    if args.help or args.hydra_help or args.shell_completion:  # (--version printed and exited already)
        return None
    hydra_args = [a for a in args.overrides if a.lstrip("+~").startswith(("hydra.", "hydra/"))]
    overrides = [a for a in args.overrides if a not in hydra_args]
    runs = args.cfg is None and args.info is None
    return Command(runs, bool(args.multirun), overrides, hydra_args)


#: config files read and found to be YAML mappings in this process: (path, size, mtime) -> contents
_READ: dict[tuple[str, int, int], object] = {}
#: what each config group's files are, for messages
_WHAT = {"": "the YAML config file of python -m sim", "scenario": "a scenario YAML file",
         "experiment": "an experiment YAML file"}


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it lies under it, for messages."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_config(path: Path, group: str):
    """A config file read with :func:`~sim.engine.inputs.load_yaml` (UTF-8 text, YAML, bounded aliases,
    faults at ``file:line``), which must hold a mapping; read once per process."""
    from sim.engine.errors import ConfigError
    from sim.engine.inputs import load_yaml

    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _READ:
        what = _WHAT.get(group, f"a YAML config file of group {group}")
        data = load_yaml(_shown(path), what)
        if data is not None and not isinstance(data, dict):
            raise ConfigError(_shown(path), f"expected a mapping of keys to values at the top, got a "
                                            f"{type(data).__name__} ({what})")
        _READ[key] = data
    return _READ[key]


def _names(value) -> list[str]:
    """The config names a defaults entry or a group override gives (one, a list, or a sweep's values)."""
    import re

    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return [n for n in re.findall(r"[^\s,()\[\]'\"]+", str(value)) if n not in ("glob", "choice", "range", "sort")]


def check_files(overrides: list[str]) -> None:
    """Read every config file composing ``overrides`` will read, before Hydra reads it: the primary
    config, the option of each config group its defaults list or the command line chooses, and the
    defaults lists of those in turn. Each is read by :func:`_read_config`, so a file that is binary,
    UTF-16, not YAML, not a mapping or an alias bomb is a :class:`~sim.engine.errors.ConfigError` at
    ``file`` or ``file:line``, not Hydra's traceback (or minutes of expansion)."""
    chosen: dict[str, list[str]] = {}
    for override in overrides:
        if override.startswith("~") or "=" not in override or not _is_group(override):
            continue
        key, _, value = override.lstrip("+").partition("=")
        chosen[key.split("@", 1)[0]] = _names(value)
    primary = Path(SOURCE["dir"]) / f"{SOURCE['name']}.yaml"
    pending: list[tuple[Path, str]] = [(primary, "")] if primary.is_file() else []
    seen: set[Path] = set()

    def choose(group: str, names: list[str]) -> None:
        for name in chosen.pop(group, names):
            path = _config_file(group, name)
            if path is not None and path not in seen:
                pending.append((path, group))

    while pending:
        path, group = pending.pop(0)
        seen.add(path)
        data = _read_config(path, group)
        defaults = data.get("defaults") if isinstance(data, dict) else None
        for entry in defaults if isinstance(defaults, list) else ():
            if isinstance(entry, str) and entry != "_self_":  # a config of its own: group/name
                rel = Path(entry[1:]) if entry.startswith("/") else Path(group, entry)
                sub = "" if rel.parent == Path(".") else rel.parent.as_posix()
                target = _config_file(sub, rel.name)
                if target is not None and target not in seen:
                    pending.append((target, sub))
            elif isinstance(entry, dict) and len(entry) == 1:
                ((key, value),) = entry.items()
                key = str(key).split()[-1].split("@", 1)[0]  # "override /scenario@x" -> "/scenario"
                sub = key[1:] if key.startswith("/") else str(Path(group, key)) if group else key
                choose(sub, _names(value))
        if not pending:  # then the groups only the command line chooses (+experiment=NAME)
            for group in list(chosen):
                choose(group, [])


def _config_file(group: str, name: str) -> Path | None:
    """The file of config ``group/name`` as Hydra finds it: the primary folder first, then --config-dir's."""
    for folder in (SOURCE["dir"], *SOURCE["extra"]):
        path = Path(folder) / group / f"{name}.yaml"
        if path.is_file():
            return path
    return None


def _distributions(node, prefix: str = "") -> dict[str, dict]:
    """Key path -> mapping, for every distribution (a mapping with a ``dist`` key) in a plain config tree."""
    out: dict[str, dict] = {}
    if isinstance(node, dict):
        if "dist" in node:
            return {prefix: node}
        for key, value in node.items():
            out.update(_distributions(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _dict_value(override: str) -> dict | None:
    """The mapping an override ``key={...}`` assigns, or ``None`` (not a plain mapping assignment)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        parsed = OverridesParser.create().parse_override(override)
    except Exception:
        return None
    if parsed.is_sweep_override() or parsed.is_add() or parsed.is_delete() or parsed.is_force_add():
        return None
    value = parsed.value()
    return value if isinstance(value, dict) else None


def whole_distributions(argv: list[str]) -> list[str]:
    """Command-line overrides that give a distribution whole replace it instead of merging into it.

    Hydra merges ``key={dist: lognormal, mean_s: 180, cv: 1.5}`` into the distribution already at
    ``key`` and refuses keys that one lacks (``cv``); such an override becomes ``~key`` and
    ``+key={...}``, so the new mapping is validated as a distribution of its own.
    """
    found = [(i, arg, _dict_value(arg)) for i, arg in enumerate(argv)
             if not arg.startswith(("-", "+", "~", "hydra")) and "={" in arg.replace(" ", "")]
    found = [(i, arg, value) for i, arg, value in found if value is not None and "dist" in value]
    if not found:
        return argv
    from omegaconf import OmegaConf

    try:
        base = OmegaConf.to_container(_compose([a for a in argv if _is_group(a)]), resolve=False)
    except Exception:
        return argv  # the pre-check reports what is wrong
    existing = _distributions(base)
    out = list(argv)
    for i, arg, _ in reversed(found):
        key = arg.split("=", 1)[0]
        if key in existing:
            out[i:i + 1] = [f"~{key}", f"+{arg}"]
    return out


def _experiment_distributions(cfg, overrides: list[str], experiment: str | None):
    """Distributions an experiment file gives whole replace those of the scenario (Hydra would merge
    them: a lognormal's ``cv`` would stay in an exponential); the command line's overrides of keys
    inside them are applied again after, so they still win. The file is read by :func:`_read_config`
    (a fault is a :class:`~sim.engine.errors.ConfigError` at ``file:line``)."""
    if not experiment:
        return cfg
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    path = _config_file("experiment", experiment)
    raw = (_read_config(path, "experiment") if path is not None else None) or {}
    given = _distributions({k: v for k, v in raw.items() if k != "defaults"})
    if not given:
        return cfg
    for key, value in given.items():
        OmegaConf.update(cfg, key, value, merge=False)
    again = [o for o in overrides if not _is_group(o) and any(
        o.lstrip("+~").split("=", 1)[0] == key or o.lstrip("+~").split("=", 1)[0].startswith(key + ".") for key in given)]
    if again:
        ConfigLoaderImpl._apply_overrides_to_config(OverridesParser.create().parse_overrides(again), cfg)
    return cfg


def _experiment_choice(overrides: list[str]) -> str | None:
    """The experiment file an override list selects (``+experiment=NAME``), if any."""
    for o in overrides:
        key, _, value = o.lstrip("+~").partition("=")
        if key == "experiment":
            return value or None
    return None


def _group_options(group: str) -> list[str]:
    return sorted({p.stem for folder in (SOURCE["dir"], *SOURCE["extra"]) for p in (Path(folder) / group).glob("*.yaml")})


def precheck(argv: list[str]) -> None:
    """Compose and validate the config the overrides describe; exit 2 with one line if it is wrong.

    The config files the composition reads are read first (:func:`check_files`); with ``--cfg`` or
    ``--info`` (Hydra prints the config, no job runs) that is all. With ``-m/--multirun`` the sweep's
    size is checked, then it is expanded (Hydra's override parser): an override that does not parse
    or an empty sweep fails naming its key, then the points are composed and validated (all of them,
    or for a huge sweep each value of each swept key), so a bad sweep stops before any job starts.
    """
    command = _overrides(argv)
    if command is None:
        return
    overrides = command.overrides
    HYDRA_ARGS[:] = command.hydra_args
    if not command.runs:  # --cfg, --info: Hydra composes and prints; its files must be readable YAML
        from sim.engine.errors import ConfigError

        try:
            check_files([*overrides, *HYDRA_ARGS])
        except ConfigError as exc:
            _fail(str(exc))
        return
    if not command.multirun:
        _check_point(overrides)
        return
    from sim.experiments.sweeps import SweepSpecError, expand_sweep, sweep_points

    _check_sweep_size(overrides)
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
    os.environ[SWEEP_POINTS_ENV] = str(n_points)  # for each point's "point k/N" line (inherited by workers)
    os.environ[SWEPT_KEYS_ENV] = "\n".join(key for key, _, swept in axes if swept)


def _check_sweep_size(overrides: list[str]) -> None:
    """Refuse a sweep of more than ``LIMITS["replications"]`` points (each point is a run) unless
    ``run.allow_large=true`` is on the command line; counted from each axis's ``range()`` or list
    before any value is listed, so ``run.seed=range(0,100000000)`` stops at once."""
    import math

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

    from sim.engine.options import LIMITS
    from sim.model.config import RAISE_LIMIT

    if any(o.lstrip("+").replace(" ", "").lower() == "run.allow_large=true" for o in overrides):
        return
    limit = LIMITS["replications"]
    parser = OverridesParser.create()
    sizes: dict[str, tuple[int, str]] = {}
    for raw in overrides:
        try:
            (override,) = parser.parse_overrides([raw])
        except Exception:
            continue  # expand_sweep words it
        value = override.value() if override.is_sweep_override() else None
        if isinstance(value, RangeSweep) and value.step:
            n = max(0, math.ceil((value.stop - value.start) / value.step))
        elif isinstance(value, ChoiceSweep):
            n = len(value.list)
        else:
            continue
        sizes[override.get_key_element()] = (n, raw.split("=", 1)[1])
    total = 1
    for key, (n, spec) in sizes.items():
        total *= n
        if total > limit:
            found = f"the sweep '{spec}' has {n:,} points" if total == n else \
                f"the sweep '{spec}' brings the sweep to {total:,} points"
            _fail(f"{key.lstrip('+~')}: {found}, above the {limit:,} allowed ({RAISE_LIMIT})")


def _is_group(override: str) -> bool:
    key = override.split("=", 1)[0].lstrip("+~").split("@", 1)[0]
    return "." not in key and any((Path(folder) / key).is_dir() for folder in (SOURCE["dir"], *SOURCE["extra"]))


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
            cfg = _experiment_distributions(cfg, values, _experiment_choice(list(groups)))
            load_config(OmegaConf.to_container(cfg, resolve=True))
        except Exception:
            swept_here = [item for item, is_swept in zip(point, swept) if is_swept]
            _check_point(point, f" (sweep point {' '.join(swept_here)})" if swept_here else "")


#: the command line's own ``hydra.*`` overrides (output folders, launcher): trusted, and composed too
HYDRA_ARGS: list[str] = []


class RefusedConfig(Exception):
    """A composed config would run code or move the outputs (:func:`sim.safety.refusal`)."""


def _hydra_compose(overrides: list[str]):
    """Hydra's composition of the primary config with ``overrides``, its ``hydra`` node included, once
    every config file it reads has been read by :func:`check_files` (a bad one is a
    :class:`~sim.engine.errors.ConfigError` naming it)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    check_files(overrides)
    extra = [] if any(o.lstrip("+~").startswith("hydra.searchpath") for o in overrides) or not SOURCE["extra"] \
        else ["hydra.searchpath=[" + ",".join(f"file://{d}" for d in SOURCE["extra"]) + "]"]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=SOURCE["dir"], version_base="1.3"):
            return compose(config_name=SOURCE["name"], overrides=[*overrides, *extra], return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


_REFERENCE: list = []  # the hydra node of the simulator's own config, composed once


def _compose(overrides: list[str]):
    """The config ``python -m sim <overrides>`` composes (without its ``hydra`` node), after checking
    that nothing in it would run code or move the outputs (:class:`RefusedConfig`)."""
    from omegaconf import OmegaConf, open_dict

    from sim.safety import refusal

    cfg = _hydra_compose([*overrides, *HYDRA_ARGS])
    if not _REFERENCE:
        _REFERENCE.append(OmegaConf.to_container(_hydra_compose([]).hydra, resolve=False))
    explicit = {a.lstrip("+~").split("=", 1)[0] for a in HYDRA_ARGS}
    problem = refusal(OmegaConf.to_container(cfg, resolve=False), _REFERENCE[0], explicit)
    if problem:
        raise RefusedConfig(problem)
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg


def composed(overrides: list[str]) -> dict:
    """The plain config mapping ``python -m sim <overrides>`` runs (Hydra's composition, distributions given
    whole replacing the scenario's), unvalidated; Hydra's own errors propagate."""
    from omegaconf import OmegaConf

    overrides = whole_distributions(list(overrides))
    cfg = _experiment_distributions(_compose(overrides), overrides, _experiment_choice(overrides))
    return OmegaConf.to_container(cfg, resolve=True)


def _check_point(overrides: list[str], where: str = "") -> None:
    """Compose one point's overrides and validate the config; exit 2 with one line if it is wrong."""
    from omegaconf import OmegaConf

    from sim.engine.errors import ConfigError
    from sim.model.config import load_config

    try:
        cfg = _compose(overrides)
        cfg = _experiment_distributions(cfg, overrides, _experiment_choice(overrides))
        load_config(OmegaConf.to_container(cfg, resolve=True))
    except RefusedConfig as exc:
        _fail(str(exc) + where)
    except ConfigError as exc:
        _fail(str(exc) + where)
    except Exception as exc:  # Hydra / OmegaConf composition errors
        groups_only = [o for o in overrides if "=" in o and "." not in o.split("=", 1)[0]]

        def siblings(path: str) -> list[str]:
            try:
                base = _compose(groups_only)
                node = OmegaConf.select(base, path) if path else base
                return [str(k) for k in node.keys()] if node is not None else []
            except Exception:
                return []

        _fail(_one_line(exc, siblings) + where)


def run_job(cfg) -> Path | None:
    """Run one scenario from a composed Hydra config; returns the output folder.

    A single run reports a bad config as one line and exits 2.  A sweep point
    (``-m``) never exits: a point already done in this folder (``done`` marker
    with the same overrides) is skipped; a point that fails is recorded in its
    folder as ``error.txt`` and the sweep goes on (returns ``None``).
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sim.engine.errors import ConfigError
    from sim.experiments import sweeps as sweep

    hydra_cfg = HydraConfig.get()
    try:
        cfg = _experiment_distributions(cfg, [str(o) for o in hydra_cfg.overrides.task],
                                        hydra_cfg.runtime.choices.get("experiment"))
    except ConfigError as exc:  # the experiment file changed since Hydra read it
        if hydra_cfg.mode != RunMode.MULTIRUN:
            _fail(str(exc))
        print(f"sim: point failed: {hydra_cfg.runtime.output_dir}: "
              f"{sweep.record_failure(Path(hydra_cfg.runtime.output_dir), exc)}", file=sys.stderr)
        return None
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            return _run(cfg, Path(hydra_cfg.runtime.output_dir), multirun=False)
        except ConfigError as exc:  # found while running, e.g. an unreachable run.scheduler_address
            _fail(str(exc))

    from omegaconf import OmegaConf

    out = Path(hydra_cfg.runtime.output_dir)
    overrides = [str(o) for o in hydra_cfg.overrides.task]
    try:
        fingerprint = sweep.config_fingerprint(OmegaConf.to_container(cfg, resolve=True))
    except Exception:  # unresolvable: the run reports it
        fingerprint = None
    status = sweep.done_status(out, overrides, fingerprint)
    if status == "done":
        print(f"skipped: {out} is done already with the same config ({' '.join(overrides)})")
        return out
    if status == "changed":
        print(f"re-running: {out} was done under another config (the scenario, an experiment file or the "
              f"package changed since)")
    sweep.clear_status(out)
    try:
        _run(cfg, out, multirun=True, point=(hydra_cfg.job.num, overrides))
    except Exception as exc:
        line = sweep.record_failure(out, exc)
        print(f"sim: point failed: {out}: {line}", file=sys.stderr)
        return None
    sweep.mark_done(out, overrides, fingerprint)
    return out


def _point_line(number: int, overrides: list[str], summary, seconds: float, out: Path) -> str:
    """One line for a sweep point: ``point k/N [overrides]``, service level and abandonment per channel, time."""
    import math

    total = os.environ.get(SWEEP_POINTS_ENV)
    swept = set(filter(None, os.environ.get(SWEPT_KEYS_ENV, "").split("\n")))
    if swept:
        overrides = [o for o in overrides if o.lstrip("+~").split("=", 1)[0] in swept] or overrides
    cells = {(r.channel, r.metric): r.mean for r in summary.itertuples()}
    channels = [c for c in dict.fromkeys(summary["channel"]) if c not in ("all", "live")]

    def shares(metric: str) -> str:
        values = [(c, cells.get((c, metric), math.nan)) for c in channels]
        return ", ".join(f"{c} {100 * v:.1f}%" for c, v in values if math.isfinite(v)) or "-"

    return (f"point {number + 1}/{total or '?'} [{' '.join(overrides)}]: service level {shares('service_level')}; "
            f"abandonment {shares('abandon_rate')} ({seconds:.1f} s) -> {out}")


def _run(cfg, out: Path, *, multirun: bool, point: tuple[int, list[str]] | None = None) -> Path:
    from omegaconf import OmegaConf

    from sim.engine.errors import ConfigError
    from sim.experiments.files import atomic_write
    from sim.experiments.kpis import wait_units
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
    if point is not None:  # a sweep point's config says which point it is
        text = f"# sweep point {point[0] + 1}: {' '.join(point[1])}\n" + text
    atomic_write(out / "config.yaml", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    started = time.perf_counter()
    if config.run.warmup_auto:
        config, warmup = resolve_warmup(config)
        _write_json(out / "warmup.json", warmup)
        print(f"warm-up detected by MSER-5 on {warmup['pilot_replications']} pilot replications: "
              f"{warmup['warmup_s'] / 3600:g} h" + (" (at the search limit: run longer)" if warmup["at_limit"] else ""))
    contact_log = out / "contacts.parquet" if config.run.save_contacts else None
    from sim.experiments.progress import Progress

    if multirun:  # a sweep point: one line when it ends, no progress bar
        result, precision = run_configured(config, contact_log=contact_log)
    else:
        with Progress("replications") as progress:  # a bar on a terminal, quiet lines otherwise (stderr)
            result, precision = run_configured(config, contact_log=contact_log, progress=progress)
    if precision is not None:
        _write_json(out / "precision.json", precision)
        print(f"sequential replications: {precision['channel']}.{precision['metric']} = {precision['mean']:.4g} "
              f"± {precision['half_width']:.3g} after {precision['replications']} replications; target "
              f"± {precision['target_half_width']:g} {'met' if precision['met'] else 'NOT met (cap reached)'}")
    # a sweep point draws its figures only when asked (run.figures=true on the command line): the sweep
    # draws its own once, from the table of every point
    asked = point is not None and any(o.lstrip("+").split("=", 1)[0] == "run.figures" for o in point[1])
    write_outputs(result, out, figures=config.run.figures and (not multirun or asked))
    elapsed = time.perf_counter() - started
    _log_warnings(result.warnings, out)
    if multirun:
        number, overrides = point if point is not None else (0, [])
        print(_point_line(number, overrides, result.summary, elapsed, out)
              + (f" ({len(result.warnings)} warning{'s' * (len(result.warnings) > 1)}: {out / 'warnings.txt'})"
                 if result.warnings else ""))
        return out
    run = result.config.run
    span = f"{run.days} days of {run.day_open_s / 3600:g} h" if run.days > 1 else \
        f"{(run.horizon_s - run.warmup_s) / 3600:g} h"
    start = f"from the state at {_clock(config.scenario.open_time_s + run.warmup_s)}" if config.state is not None \
        else f"after {run.warmup_s / 3600:g} h warm-up"
    print(f"scenario '{config.scenario.name}': {run.replications} replications of {span} "
          f"({start}), "
          f"seed {run.seed}, {elapsed:.1f} s")
    print(format_summary(result.summary, run.confidence,
                         wait_units(config.scenario.channels), result.warnings))
    if result.days is not None and not result.days.empty:
        print(format_days(result.days, run.confidence))
    print(f"outputs: {out}")
    return out


def _clock(seconds: float) -> str:
    from sim.engine.checks import hhmm

    return hhmm(seconds)


def _log_warnings(warnings: tuple[str, ...], out: Path) -> None:
    """The run's warnings (the load check) into the job's log (``sim.log`` in the run folder); the
    terminal shows them under the KPI table (Hydra's console handler only prints errors)."""
    import logging

    log = logging.getLogger("sim")
    for text in warnings:
        log.warning("%s: %s", out, text)


def _write_json(path: Path, data: dict) -> None:
    import json

    from sim.experiments.files import atomic_write

    text = json.dumps(data, indent=2, default=float) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


#: the config groups a user selects, what each is for, and how it is written on the command line
GROUPS = (
    ("scenario", "scenario=NAME", "the centre to simulate (default: default)"),
    ("experiment", "+experiment=NAME", "a what-if on the scenario, listing only what it changes"),
)
#: folders of configs/ that are inputs of other commands, not config groups of python -m sim
NOT_GROUPS = (
    ("workforce", "shift families and wages for the schedule optimiser (python experiments/schedule_optimiser.py)"),
    ("logs", "column mappings of contact logs (python -m sim.calibration LOG --mapping configs/logs/NAME.yaml)"),
)


def _summary_line(path: Path) -> str:
    """The first sentence of a config file's opening comment (after ``# @package``)."""
    from sim.engine.inputs import read_text

    words = []
    for line in read_text(path, "a YAML config file").splitlines():
        if line.startswith("# @package"):
            continue
        if not line.startswith("# ") or line.startswith("#  ") or not line[2:].strip():
            break
        words.append(line[2:].strip())
    return " ".join(words).split(". ", 1)[0].rstrip(".") + "."


def _row(left: str, text: str, indent: int) -> str:
    """``left`` padded to ``indent`` columns, then ``text`` wrapped to 100 columns under itself."""
    import textwrap

    return textwrap.fill(text, 100, initial_indent=f"{left:<{indent}}", subsequent_indent=" " * indent)


def help_text() -> str:
    """``python -m sim --help``: the groups a user can select, what each is for, and the config."""
    from omegaconf import OmegaConf

    lines = ["python -m sim [OVERRIDE ...]       simulate a contact centre and write its tables and figures",
             "python -m sim -m [OVERRIDE ...]    a sweep: one run per point (key=a,b,c or range(...))",
             "", "Config groups (choose one option of each):"]
    for group, usage, meaning in GROUPS:
        lines.append(_row(f"  {usage}", meaning, 24))
        for option in _group_options(group):
            lines.append(_row(f"      {option}", _summary_line(Path(CONFIG_DIR) / group / f"{option}.yaml"), 33))
    launchers = ["basic", "joblib", *_group_options("hydra/launcher")]
    lines.append(_row("  hydra/launcher=NAME", f"where the points of a sweep run: {', '.join(launchers)} "
                      "(default basic: one after another)", 24))
    lines += ["", "The centre now:",
              _row("  +state=FILE", "simulate the rest of the day from a state file: contacts waiting and in "
                   "service, agents, backlog (docs/reference/state-file.md; e.g. data/state/example_1100.yaml)", 24)]
    lines += ["", "Not config groups (other commands read them):"]
    lines += [_row(f"  configs/{folder}/", meaning, 24) for folder, meaning in NOT_GROUPS]
    lines += ["", "Override any key below: key=value; +key=value adds a key the config lacks; ~key removes one.",
              "A distribution given whole (key={dist: lognormal, mean_s: 180, cv: 1.5}) replaces the one there.",
              "Every key is described in docs/configuration.md; Hydra's own options: --hydra-help.", ""]
    cfg = OmegaConf.to_container(_compose([]), resolve=False)
    cfg.pop("hydra", None)
    lines.append(OmegaConf.to_yaml(OmegaConf.create(cfg)).rstrip())
    return "\n".join(lines)


def main() -> None:
    from sim.engine.errors import ConfigError

    if any(arg in ("--help", "-h") for arg in sys.argv[1:]):
        try:
            print(help_text())
        except BrokenPipeError:  # e.g. piped into head
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except ConfigError as exc:  # a config file of the help's listing is not readable YAML
            _fail(str(exc))
        return
    _overrides(sys.argv[1:])  # notes --config-dir and friends first: whole_distributions composes
    sys.argv[1:] = whole_distributions(sys.argv[1:])
    precheck(sys.argv[1:])
    import hydra

    app = hydra.main(config_path=CONFIG_DIR, config_name="config", version_base="1.3")(run_job)
    app()


if __name__ == "__main__":
    main()
