"""``python -m sim.calibration LOG --mapping MAPPING``: import a contact log, calibrate a scenario from
it, replay its days, compare, and write the scenario, tables, figures and ``calibration.md``.

The scenario goes to ``<out>/<name>.yaml`` and to ``configs/scenario/<name>.yaml`` (so that
``python -m sim scenario=<name>`` runs it; ``--scenario-dir`` elsewhere, ``--scenario-dir ''`` not at
all).  Errors in the log, the mapping or the options: one line naming the file and line or the
option, exit status 2.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sim.engine import options
from sim.engine.errors import ConfigError
from sim.engine.inputs import finite
from sim.engine.options import LIMITS, count, new_output, number, probability, typed

REPO = Path(__file__).resolve().parents[2]
RESERVED = ("default", "single_queue")
PROG = "sim.calibration"
#: as ``sim.calibration.logs.WEEKDAYS``, without importing pandas to read the options
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: the largest seed: every whole number up to 2**53 is exact as a float, as options are read
MAX_SEED = 2 ** 53


def _minutes(text: str) -> float:
    """A whole number of minutes from 1 to 1440 that divides the day."""
    minutes = int(finite(text, "", minimum=1, maximum=1440, integer=True))
    if 1440 % minutes:
        raise ConfigError("", f"expected a whole number of minutes dividing 24 h (e.g. 15, 30, 60), got {text!r}")
    return float(minutes)


def _items(text: str, what: str, example: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or not all(items):
        raise ConfigError("", f"expected comma-separated {what} (e.g. {example}), got {text!r}")
    return items


def _weekdays(text: str) -> list[str]:
    """Comma-separated weekday names (any case), as ``Sunday``."""
    days = []
    for item in _items(text, "weekday names", "Sunday,Monday"):
        day = item.capitalize()
        if day not in WEEKDAYS:
            raise ConfigError("", f"expected weekday names among {', '.join(WEEKDAYS)}, got {item!r}")
        days.append(day)
    return days


def _dates(text: str) -> list[str]:
    """Comma-separated dates written YYYY-MM-DD, each a day of the calendar."""
    dates = _items(text, "dates YYYY-MM-DD", "1999-01-18,1999-01-19")
    for item in dates:
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", item):
                raise ValueError("not YYYY-MM-DD")
            date.fromisoformat(item)
        except ValueError as exc:
            raise ConfigError("", f"expected dates YYYY-MM-DD, got {item!r} ({exc})") from None
    return dates


def _folder(option: str) -> Callable[[str], Any]:
    """A folder to write into: absent or a folder, not a file nor below one (``''``: none)."""
    def convert(text: str) -> Path | None:
        if not text:
            return None
        path = new_output(text, option)
        for parent in path.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise ConfigError(option, f"{parent} is a file; expected {path} to be a folder inside a folder")
                break
        return path
    return convert


def _break_s(text: str) -> float | None:
    """A break threshold in seconds >= 0, or ``auto`` (None: chosen from the data)."""
    if text.strip().lower() == "auto":
        return None
    return finite(text, "", minimum=0, unit="seconds")


def _parser() -> argparse.ArgumentParser:
    p = options.parser("python -m sim.calibration", __doc__.split("\n\n")[0])
    p.add_argument("log", type=Path, help="the contact log (CSV or tab-separated)")
    p.add_argument("--mapping", type=Path, required=True, help="column mapping YAML (e.g. configs/logs/anonymous_bank.yaml)")
    p.add_argument("--name", default=None, help="scenario name (default: the mapping's name)")
    p.add_argument("--out", type=typed("folder", _folder("--out")), default=None,
                   help="output folder, not an existing file (default: results/calibration/<name>)")
    p.add_argument("--scenario-dir", type=typed("folder", _folder("--scenario-dir")),
                   default=REPO / "configs" / "scenario",
                   help="also write <name>.yaml here ('' = do not); default: the repository's configs/scenario")
    p.add_argument("--weekdays", type=typed("weekdays", _weekdays), default=[],
                   help="comma-separated weekdays to use (e.g. Sunday,Monday); default: all")
    p.add_argument("--dates", type=typed("dates", _dates), default=[],
                   help="comma-separated dates YYYY-MM-DD to use; default: all")
    p.add_argument("--interval-minutes", type=typed("minutes", _minutes), default=30.0,
                   help="interval length: whole minutes dividing 24 h (e.g. 15, 30, 60), default 30")
    p.add_argument("--threshold-s", type=number(minimum=0, unit="seconds"), default=20.0,
                   help="service-level threshold (s, >= 0), default 20")
    p.add_argument("--target", type=probability(), default=0.8, help="service-level target share in [0, 1], default 0.8")
    p.add_argument("--break-s", type=typed("seconds or 'auto'", _break_s), default=None,
                   help="a gap between an agent's services this long or longer is a break (s, >= 0), or 'auto' "
                        "(default): chosen from the log's idle gaps")
    p.add_argument("--break-rule", choices=("waited", "length"), default="waited",
                   help="waited (default): a long gap is a break only if a customer waited during it; "
                        "length: every long gap is a break")
    p.add_argument("--staffing", choices=("fractional", "whole"), default="fractional",
                   help="fractional (default): mean available agents as they are (shifts); whole: rounded")
    p.add_argument("--groups", choices=("single", "skills"), default="single",
                   help="single (default): one group with every skill; skills: agent groups clustered by the "
                        "types they served")
    p.add_argument("--replications", type=count(minimum=2, maximum=LIMITS["replications"]), default=20,
                   help=f"replications of each simulation, 2 to {LIMITS['replications']:,}; default 20")
    p.add_argument("--seed", type=count(minimum=0, maximum=MAX_SEED), default=12345,
                   help="the seed, a whole number >= 0 (default 12345)")
    p.add_argument("--no-compare", action="store_true", help="calibrate only; skip the replay and comparison")
    p.add_argument("--skip-bad-rows", action="store_true", help="drop malformed rows (counted) instead of stopping")
    p.usage = p.format_usage().removeprefix("usage: ").rstrip()  # the command as typed, in --help
    p.prog = PROG  # errors read "sim.calibration: error: ...", as the command's other errors
    return p


def _check(args: argparse.Namespace) -> None:
    if not args.mapping.exists():  # what else can be wrong with it is named by the mapping's reader
        raise ConfigError("--mapping", f"no such file: {args.mapping}")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # a bad option: one line on stderr already; --help: 0
        return stop.code if isinstance(stop.code, int) else 2
    command = "python -m sim.calibration " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    try:
        _check(args)
        from .estimate import agent_clusters
        from .logs import load_mapping, read_log
        from .replay import compare_to_log
        from .report import write_calibration
        from .scenario import calibrate, select_days

        mapping = load_mapping(args.mapping)
        name = args.name or mapping.name
        if name in RESERVED or not (name.isascii() and name.replace("_", "").replace("-", "").isalnum()):
            raise ConfigError("--name", f"expected a file stem of letters, digits, '_' or '-' other than "
                                        f"{' or '.join(RESERVED)}, got {name!r}")
        imported = read_log(args.log, mapping, on_bad_rows="skip" if args.skip_bad_rows else None)
        print(imported.report)
        if imported.table.empty:
            why = "no rows under the header" if not imported.report.rows_read else imported.report.counts()
            raise ConfigError(str(args.log), f"the log has no contacts to calibrate from ({why})")
        log = select_days(imported.table, args.weekdays, args.dates)
        calibration = calibrate(log, name=name, source=str(args.log), interval_minutes=args.interval_minutes,
                                service_level_threshold_s=args.threshold_s, service_level_target=args.target,
                                break_s=args.break_s, break_rule=args.break_rule, staffing_mode=args.staffing,
                                clusters=agent_clusters(log) if args.groups == "skills" else None)
        comparison = None
        if not args.no_compare:
            comparison = compare_to_log(log, calibration, replications=args.replications, seed=args.seed)
        out = args.out or new_output(Path("results") / "calibration" / name, "--out")
        scenario_path = args.scenario_dir / f"{name}.yaml" if args.scenario_dir else None
        write_calibration(out, log, imported.report, calibration, comparison, scenario_path=scenario_path,
                          command=command)
    except ConfigError as exc:
        return options.fail(PROG, exc)
    print(calibration.summary().to_string(index=False))
    if comparison is not None:
        print(comparison.errors.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"report: {out / 'calibration.md'}")
    if scenario_path is not None:
        print(f"scenario: {scenario_path} (run it: python -m sim scenario={name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
