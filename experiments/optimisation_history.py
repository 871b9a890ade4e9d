"""What each optimisation bought: the M/M/50 benchmark at several commits, side by side.

For each commit it checks the package out into a temporary git worktree and
runs, in a fresh process with that worktree first on ``sys.path``, the
benchmark's simulator job (M/M/50, rho 0.9, ~200,000 contacts, one
replication through ``run_experiment`` with all KPIs).  Plain SimPy (from
``experiments/benchmark.py``) runs in the same rounds, interleaved, so each
commit's speed is also given as a ratio to it.  Medians over ``--repeats``.

    python experiments/optimisation_history.py                 # the commits in COMMITS
    python experiments/optimisation_history.py --commits HEAD~3 HEAD --repeats 5
    python experiments/optimisation_history.py --commits HEAD~1 HEAD --scenario default   # a shipped scenario

With ``--scenario NAME`` each commit runs ``configs/scenario/NAME.yaml`` of its own
worktree instead (``--replications`` replications on one core, all KPIs), so a
change can be checked on the default centre with every mechanism it turns on.

Needs the git history (a clone, not an export).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: (commit, what it changed); each row is measured against the one before
COMMITS = (
    ("3811a6e", "core simulator: callbacks on SimPy's calendar, per-contact record list, KPIs from the records"),
    ("a2d4aa7", "aggregate as the model runs: per-segment tallies and exact time integrals, no per-contact list"),
    ("f130c87", "reusable timers for agents and arrival streams, leaner contacts, routing fast paths"),
    ("a5ff37a", "tally rows per segment and channel; lighter imports"),
    ("5f2de10", "common-case tally fast path; service end scheduled inline"),
    ("HEAD", "today (layered package; mechanisms through engine hooks)"),
)

#: the end of both simulator jobs: run ``config`` once, print contacts per second
MEASURE = """
started = time.perf_counter()
result = run_experiment(config)
seconds = time.perf_counter() - started
reps = result.replications
n = reps[(reps.channel == "all") & (reps.metric == "arrivals")]["value"].sum()
print(json.dumps({"contacts_per_s": n / seconds}))
"""

CHILD_SIM = """
import json, sys, time
from sim import SimConfig, run_experiment, single_queue_scenario
try:
    from sim.model.config import RunSpec, resolve_run   # the layered package
except ImportError:
    from sim.config import RunSpec, resolve_run         # commits before it
contacts = int(sys.argv[1]); rate = 540.0; horizon = contacts / rate * 3600.0
scenario = single_queue_scenario(rate, 300.0, 50, horizon_s=horizon)
config = SimConfig(scenario, resolve_run(RunSpec(replications=1, seed=12345, horizon_s=horizon, figures=False), scenario))
""" + MEASURE

CHILD_SCENARIO = """
import json, sys, time
from pathlib import Path
import yaml
from sim import load_config, run_experiment
name, replications = sys.argv[1], int(sys.argv[2])
data = yaml.safe_load(Path("configs/scenario", name + ".yaml").read_text())
data.pop("defaults", None)
scenario, run = (data["scenario"], data.get("run") or {}) if "scenario" in data else (data, {})  # @package _global_
run = {**run, "replications": replications, "seed": 12345, "figures": False, "workers": 1}
config = load_config({"scenario": scenario, "run": run})
""" + MEASURE

CHILD_SIMPY = """
import json, sys
sys.path.insert(0, sys.argv[2])
import benchmark
p = benchmark.params_from(int(sys.argv[1]), 50, 0.9, 300.0, 12345)
run = benchmark.run_simpy(p)
print(json.dumps({"contacts_per_s": run.contacts / run.seconds}))
"""


def _child(code: str, args: list[str], pythonpath: Path) -> float:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"}, cwd=pythonpath)
    return json.loads(proc.stdout.strip().splitlines()[-1])["contacts_per_s"]


def main(argv: list[str] | None = None) -> dict:
    from sim.engine.options import LIMITS, count, one_of, parser as new_parser

    scenarios = tuple(sorted(p.stem for p in (REPO / "configs" / "scenario").glob("*.yaml")))
    parser = new_parser("python experiments/optimisation_history.py", __doc__.split("\n\n")[0])
    parser.add_argument("--commits", nargs="*", default=[c for c, _ in COMMITS], help="commits of this repository")
    parser.add_argument("--repeats", type=count(minimum=1), default=3)
    parser.add_argument("--contacts", type=count(minimum=1), default=200_000)
    parser.add_argument("--scenario", type=one_of(scenarios, "shipped scenario"), default=None,
                        help=f"a shipped scenario (configs/scenario/NAME.yaml: {', '.join(scenarios)}) instead")
    parser.add_argument("--replications", type=count(minimum=1, maximum=LIMITS["replications"]), default=20,
                        help="with --scenario: replications per run")
    args = parser.parse_args(argv)
    for commit in args.commits:
        known = not commit.startswith("-") and subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
            capture_output=True).returncode == 0
        if not known:
            parser.error(f"argument --commits: {commit!r} is not a commit of this repository")
    notes = dict(COMMITS)
    rates: dict[str, list[float]] = {c: [] for c in args.commits}
    rates["plain SimPy"] = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for commit in args.commits:
            tree = Path(tmp) / commit.replace("/", "_").replace("~", "-")
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), commit],
                           check=True, capture_output=True)
            trees[commit] = tree
        try:
            for _ in range(args.repeats):
                rates["plain SimPy"].append(_child(CHILD_SIMPY, [str(args.contacts), str(REPO / "experiments")], REPO))
                for commit, tree in trees.items():
                    if args.scenario is None:
                        rates[commit].append(_child(CHILD_SIM, [str(args.contacts)], tree))
                    else:
                        rates[commit].append(_child(CHILD_SCENARIO, [args.scenario, str(args.replications)], tree))
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False,
                               capture_output=True)
    simpy = statistics.median(rates["plain SimPy"])
    job = f"M/M/50 rho 0.9, {args.contacts:,} contacts" if args.scenario is None else \
        f"scenario {args.scenario}, {args.replications} replications"
    print(f"{job}, median of {args.repeats}; plain SimPy (M/M/50) {simpy:,.0f} contacts/s")
    print(f"{'commit':<10} {'contacts/s':>11} {'x SimPy':>8}  change")
    out = {"plain_simpy": simpy, "commits": []}
    for commit in args.commits:
        median = statistics.median(rates[commit])
        out["commits"].append({"commit": commit, "contacts_per_s": median, "ratio_to_simpy": median / simpy})
        print(f"{commit:<10} {median:>11,.0f} {median / simpy:>7.2f}x  {notes.get(commit, '')}")
    return out


if __name__ == "__main__":
    main()
