"""The composed model: the engine plus the mechanisms a scenario turns on.

:mod:`~sim.model.config` assembles the validated scenario and run settings from
the parts' schemas (:func:`~sim.model.config.load_config`);
:mod:`~sim.model.centre` builds and runs one replication of a centre
(:func:`~sim.model.centre.simulate`); :mod:`~sim.model.metrics` turns a
replication's records into the KPIs managers read.
"""
