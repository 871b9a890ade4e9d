"""Workforce mechanisms: who is on duty, how well they work, and what they cost.

Duty timelines from shifts, rosters and shrinkage (:mod:`~sim.workforce.duty`)
and how the model follows them (:mod:`~sim.workforce.on_duty`); agents who
differ: proficiency, skill levels, learning and fatigue (:mod:`~sim.workforce.proficiency`);
opening hours over several days (:mod:`~sim.workforce.days`); labour, vendor and
telephony costs (:mod:`~sim.workforce.costs`); their config schema is
:mod:`~sim.workforce.config`.  They import the engine only.
"""
