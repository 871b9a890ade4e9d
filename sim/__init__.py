"""A discrete-event simulator of a multi-channel contact centre, on SimPy.

The package is layered; each layer imports only those below it (checked in CI):

- :mod:`sim.engine`: event calendar, contacts, queues and routing, agents, arrivals,
  distributions, random streams, records and tallies;
- :mod:`sim.journeys` and :mod:`sim.workforce`: the mechanisms a scenario turns on;
- :mod:`sim.model`: the composed centre, its config, per-replication KPIs;
- :mod:`sim.experiments`: replications, statistics, comparisons, sweeps;
- :mod:`sim.planning` (optimisers) and :mod:`sim.reporting` (figures, pages);
- commands: ``python -m sim``, :mod:`sim.report`, :mod:`sim.compare`,
  :mod:`sim.calculator`, :mod:`sim.calibration`, :mod:`sim.sweep`.
"""

from sim.engine.errors import ConfigError
from sim.experiments.replications import ExperimentResult, run_experiment
from sim.model.centre import simulate
from sim.model.config import RunSpec, Scenario, SimConfig, load_config, single_queue_scenario
from sim.reporting.outputs import write_outputs
from sim.version import __version__

__all__ = [
    "ConfigError",
    "ExperimentResult",
    "RunSpec",
    "Scenario",
    "SimConfig",
    "load_config",
    "run_experiment",
    "simulate",
    "single_queue_scenario",
    "write_outputs",
]
