"""Customer-journey mechanisms: what happens to a contact beyond "wait, then be served".

One module per mechanism: self-service, retrials and repeat contacts
(:mod:`~sim.journeys.flow`), callbacks (:mod:`~sim.journeys.callbacks`), overflow
to other groups (:mod:`~sim.journeys.overflow`), a VIP class
(:mod:`~sim.journeys.vip`), agents holding several contacts at once
(:mod:`~sim.journeys.concurrency`), deferrable work such as email
(:mod:`~sim.journeys.deferrable`), arrivals leaving at once instead of waiting
(:mod:`~sim.journeys.balking`), staged routing: groups that take a type only
under a condition (:mod:`~sim.journeys.conditions`), expected-delay routing
(:mod:`~sim.journeys.expected_delay`), agent groups at sites reached after a
wait (:mod:`~sim.journeys.sites`) and modelled customer experience
(:mod:`~sim.journeys.cx`); their config schema is :mod:`~sim.journeys.config`.
They import the engine only, never the workforce mechanisms or the model.
"""
