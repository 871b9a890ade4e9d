"""The engine: what every contact centre has, whatever the scenario turns on.

SimPy is the event calendar (:mod:`~sim.engine.calendar`); contacts
(:mod:`~sim.engine.contacts`) arrive by contact type (:mod:`~sim.engine.arrivals`),
wait in queues and are routed to agents by small policy functions
(:mod:`~sim.engine.routing`), served by agents in groups (:mod:`~sim.engine.agents`),
with durations drawn from distributions (:mod:`~sim.engine.distributions`) fed by
named random streams (:mod:`~sim.engine.streams`, common random numbers).  What a
replication measures is tallied as it goes (:mod:`~sim.engine.tallies`) into the
records of :mod:`~sim.engine.records`.  :mod:`~sim.engine.errors` and
:mod:`~sim.engine.checks` are the config errors and value checks every layer uses.

The engine imports nothing above it (checked in CI, ``pyproject.toml``).
"""
