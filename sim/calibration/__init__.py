"""Calibration from real contact logs: import through a column mapping (:mod:`.logs`) and estimates of
arrival rates, day-to-day variability, handle times, patience, staffing and repeat contacts
(:mod:`.estimate`)."""

from .estimate import (ArrivalRates, DayVariability, HandleTimeFit, PatienceEstimate, RepeatContacts, arrival_rates,
                       day_variability, fit_durations, fit_handle_times, kaplan_meier, patience, repeat_contacts,
                       staffing_from_activity)
from .logs import CANONICAL_COLUMNS, ImportedLog, ImportReport, LogMapping, load_mapping, read_log

__all__ = ["CANONICAL_COLUMNS", "ImportedLog", "ImportReport", "LogMapping", "load_mapping", "read_log",
           "ArrivalRates", "DayVariability", "HandleTimeFit", "PatienceEstimate", "RepeatContacts", "arrival_rates",
           "day_variability", "fit_durations", "fit_handle_times", "kaplan_meier", "patience", "repeat_contacts",
           "staffing_from_activity"]
