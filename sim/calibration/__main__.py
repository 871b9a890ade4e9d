"""``python -m sim.calibration LOG --mapping MAPPING``: import a contact log, calibrate a scenario from
it, replay its days, compare, and write the scenario, tables, figures and ``calibration.md``.

The scenario goes to ``<out>/<name>.yaml`` and to ``configs/scenario/<name>.yaml`` (so that
``python -m sim scenario=<name>`` runs it; ``--scenario-dir`` elsewhere, ``--scenario-dir ''`` not at
all).  Errors in the log, the mapping or the options: one line naming the file and line or the
option, exit status 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.engine.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
RESERVED = ("default", "single_queue")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sim.calibration", description=__doc__.split("\n\n")[0])
    p.add_argument("log", type=Path, help="the contact log (CSV or tab-separated)")
    p.add_argument("--mapping", type=Path, required=True, help="column mapping YAML (e.g. configs/logs/anonymous_bank.yaml)")
    p.add_argument("--name", default=None, help="scenario name (default: the mapping's name)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: results/calibration/<name>)")
    p.add_argument("--scenario-dir", default=str(REPO / "configs" / "scenario"),
                   help="also write <name>.yaml here ('' = do not); default: the repository's configs/scenario")
    p.add_argument("--weekdays", default="", help="comma-separated weekdays to use (e.g. Sunday,Monday); default: all")
    p.add_argument("--dates", default="", help="comma-separated dates YYYY-MM-DD to use; default: all")
    p.add_argument("--interval-minutes", type=float, default=30.0)
    p.add_argument("--threshold-s", type=float, default=20.0, help="service-level threshold (s), default 20")
    p.add_argument("--target", type=float, default=0.8, help="service-level target share, default 0.8")
    p.add_argument("--break-s", type=float, default=600.0,
                   help="a gap between an agent's services this long or longer is a break (s), default 600")
    p.add_argument("--replications", type=int, default=20, help="replications of each simulation, default 20")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--no-compare", action="store_true", help="calibrate only; skip the replay and comparison")
    p.add_argument("--skip-bad-rows", action="store_true", help="drop malformed rows (counted) instead of stopping")
    return p


def _check(args: argparse.Namespace) -> None:
    if args.replications < 2:
        raise ConfigError("--replications", f"expected a whole number >= 2, got {args.replications}")
    if args.threshold_s < 0:
        raise ConfigError("--threshold-s", f"expected a number of seconds >= 0, got {args.threshold_s:g}")
    if not 0 <= args.target <= 1:
        raise ConfigError("--target", f"expected a share in [0, 1], got {args.target:g}")
    if args.break_s <= 0:
        raise ConfigError("--break-s", f"expected a number of seconds > 0, got {args.break_s:g}")
    if not args.log.is_file():
        raise ConfigError(str(args.log), "no such file")
    if not args.mapping.is_file():
        raise ConfigError("--mapping", f"no such file: {args.mapping}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = "python -m sim.calibration " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    try:
        _check(args)
        from .logs import load_mapping, read_log
        from .replay import compare_to_log
        from .report import write_calibration
        from .scenario import calibrate, select_days

        mapping = load_mapping(args.mapping)
        name = args.name or mapping.name
        if name in RESERVED or not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError("--name", f"expected a file stem of letters, digits, '_' or '-' other than "
                                        f"{' or '.join(RESERVED)}, got {name!r}")
        imported = read_log(args.log, mapping, on_bad_rows="skip" if args.skip_bad_rows else None)
        print(imported.report)
        log = select_days(imported.table, [w for w in args.weekdays.split(",") if w],
                          [d for d in args.dates.split(",") if d])
        calibration = calibrate(log, name=name, source=str(args.log), interval_minutes=args.interval_minutes,
                                service_level_threshold_s=args.threshold_s, service_level_target=args.target,
                                break_s=args.break_s)
        comparison = None
        if not args.no_compare:
            comparison = compare_to_log(log, calibration, replications=args.replications, seed=args.seed)
        out = args.out or Path("results") / "calibration" / name
        scenario_path = Path(args.scenario_dir) / f"{name}.yaml" if args.scenario_dir else None
        write_calibration(out, log, imported.report, calibration, comparison, scenario_path=scenario_path,
                          command=command)
    except ConfigError as exc:
        print(f"sim.calibration: error: {exc}", file=sys.stderr)
        return 2
    print(calibration.summary().to_string(index=False))
    if comparison is not None:
        print(comparison.errors.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"report: {out / 'calibration.md'}")
    if scenario_path is not None:
        print(f"scenario: {scenario_path} (run it: python -m sim scenario={name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
