"""Experiments: many replications of a scenario, turned into statistics.

Replications run in processes or on Dask (:mod:`~sim.experiments.executors`),
one at a time (:mod:`~sim.experiments.replicate`), into tables with confidence
intervals (:mod:`~sim.experiments.replications`, :mod:`~sim.experiments.stats`);
sequential runs to a target precision and warm-up detection
(:mod:`~sim.experiments.sequential`); paired comparisons under common random
numbers (:mod:`~sim.experiments.comparison`); sweeps (:mod:`~sim.experiments.sweeps`);
what each KPI means and which way is better (:mod:`~sim.experiments.kpis`).
"""
