"""Reporting: what a manager reads.

One figure style (:mod:`~sim.reporting.style`); figures that take tables and
return a Figure (:mod:`~sim.reporting.run_figures`, :mod:`~sim.reporting.sweep_figures`,
:mod:`~sim.reporting.workforce_figures`); a run's folder
(:mod:`~sim.reporting.outputs`); report pages (:mod:`~sim.reporting.document`,
:mod:`~sim.reporting.run_page`, :mod:`~sim.reporting.grid_page`,
:mod:`~sim.reporting.wording`, :mod:`~sim.reporting.cost_basis`).
"""
