"""A discrete-event simulator of a multi-channel contact centre, on SimPy.

Data flows one way: config (:mod:`sim.config`) -> model (:mod:`sim.model`) ->
records (:mod:`sim.records`) -> metrics (:mod:`sim.metrics`) -> statistics
(:mod:`sim.stats`) -> tables and figures (:mod:`sim.experiment`, :mod:`sim.plots`, in the style of
:mod:`sim.style`) -> a strategy report (:mod:`sim.report`).
"""

from .config import RunSpec, Scenario, SimConfig, load_config, single_queue_scenario
from .errors import ConfigError
from .experiment import ExperimentResult, run_experiment, write_outputs
from .model import simulate

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
__version__ = "0.1.0"
