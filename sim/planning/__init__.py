"""Planning: optimisers that search staffing and schedules by simulation.

:mod:`~sim.planning.staffing` finds the fewest agents per interval that meet the
targets (Erlang A seed, simulation search with common random numbers, a fresh
check); :mod:`~sim.planning.schedule` covers that requirement with the cheapest
shifts (a MILP).  They run experiments, so they sit above them.
"""
