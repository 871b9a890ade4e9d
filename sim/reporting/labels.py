"""Config key paths in a manager's words: ``scenario.agent_groups.generalists.staffing_delta`` ->
"Generalists added (agents)".

Figures and report pages label a swept or changed key with :func:`key_label` instead of its Hydra
path: the pattern of the path says what the key is (the schema's sections: agent groups, contact
types, channels, run settings), its names say of what. A key no pattern knows is said by its last
two parts in words ("generalists staffing delta"), never cut. :func:`wrap` breaks a long title
over lines so that no figure cuts it at an edge.

Pure functions of strings: nothing here imports the model.
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["key_label", "override_words", "wrap"]

#: (pattern of the key path, label; ``{0}``, ``{1}``: the path's names, in words)
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"scenario\.agent_groups\.([^.]+)\.staffing", "{0} on duty (agents)"),
    (r"scenario\.agent_groups\.([^.]+)\.staffing_delta", "{0} added (agents)"),
    (r"scenario\.agent_groups\.([^.]+)\.staffing_scale", "{0} staffing (x plan)"),
    (r"scenario\.agent_groups\.([^.]+)\.concurrency\.max", "{0}: contacts at once"),
    (r"scenario\.contact_types\.([^.]+)\.self_service\.containment", "{0} self-service containment (share)"),
    (r"scenario\.contact_types\.([^.]+)\.arrivals\.volume", "{0} volume (contacts a day)"),
    (r"scenario\.contact_types\.([^.]+)\.arrivals\.scale", "{0} volume (x forecast)"),
    (r"scenario\.contact_types\.([^.]+)\.arrivals\.rate_per_hour", "{0} arrivals (per hour)"),
    (r"scenario\.contact_types\.([^.]+)\.escalation\.probability", "{0} escalation (share)"),
    (r"scenario\.contact_types\.([^.]+)\.handle_time\.mean_s", "{0} handle time (s)"),
    (r"scenario\.contact_types\.([^.]+)\.patience\.mean_s", "{0} patience (s)"),
    (r"scenario\.contact_types\.([^.]+)\.priority", "{0} priority"),
    (r"scenario\.contact_types\.([^.]+)\.callback\.acceptance", "{0} callback acceptance (share)"),
    (r"scenario\.contact_types\.([^.]+)\.overflow\.after_s", "{0} overflow after (s)"),
    (r"scenario\.contact_types\.([^.]+)\.overflow", "{0} overflow to other groups"),
    (r"scenario\.contact_types\.([^.]+)\.retrial\.probability", "{0} retrial (share)"),
    (r"scenario\.contact_types\.([^.]+)\.repeat\.probability", "{0} repeat contacts (share)"),
    (r"scenario\.contact_types\.([^.]+)\.vip\.share", "{0} VIP share"),
    (r"scenario\.channels\.([^.]+)\.service_level_target", "{0} service-level target (share)"),
    (r"scenario\.channels\.([^.]+)\.service_level_threshold_s", "{0} service-level threshold (s)"),
    (r"scenario\.costs\.wage_per_hour\.([^.]+)", "{0} wage (per hour)"),
    (r"scenario\.costs\.bot_per_contact", "Bot price (per contact)"),
    (r"scenario\.contact_types\.([^.]+)\.after_call_work\.mean_s", "{0} after-call work (mean, s)"),
    (r"scenario\.contact_types\.([^.]+)\.after_call_work", "{0} after-call work"),
    (r"scenario\.contact_types\.([^.]+)\.transfers", "{0} transfers"),
    (r"scenario\.contact_types\.([^.]+)\.balking", "{0} balking"),
    (r"scenario\.contact_types\.([^.]+)\.outbound\.pacing\.nuisance_target", "{0} nuisance target (share)"),
    (r"scenario\.contact_types\.([^.]+)\.outbound\.list_size", "{0} calling list (records)"),
    (r"scenario\.contact_types\.([^.]+)\.outbound\.mode", "{0} dialing mode"),
    (r"scenario\.contact_types\.([^.]+)\.outbound", "{0} outbound campaign"),
    (r"scenario\.agent_groups\.([^.]+)\.blending\.agents", "{0} idle reserve (agents)"),
    (r"scenario\.agent_groups\.([^.]+)\.blending", "{0} blending rule"),
    (r"scenario\.agent_groups\.([^.]+)\.conditions", "{0} routing conditions"),
    (r"scenario\.agent_groups\.([^.]+)\.skill_levels", "{0} skill levels"),
    (r"scenario\.volume_scale", "Volume (x forecast)"),
    (r"scenario\.busyness_cv", "Forecast uncertainty (CV)"),
    (r"scenario\.agents", "Agents"),
    (r"scenario\.arrival_rate_per_hour", "Arrivals (per hour)"),
    (r"scenario\.mean_handle_time_s", "Mean handle time (s)"),
    (r"scenario\.mean_patience_s", "Mean patience (s)"),
    (r"scenario\.queue_capacity", "Waiting places"),
    (r"scenario\.routing\.contact_scores\.([^.]+)\.base", "{0} base score"),
    (r"scenario\.routing\.contact_scores\.([^.]+)\.per_second", "{0} score per second waited"),
    (r"scenario\.routing\.contact_scores", "Contact scores"),
    (r"scenario\.routing\.agent_scores\.([^.]+)\.([^.]+)", "{0} score for {1}"),
    (r"scenario\.routing\.agent_scores", "Agent scores"),
    (r"scenario\.routing\.agent_selection", "Agent selection"),
    (r"scenario\.routing\.queue_selection", "Queue selection"),
    (r"run\.replications", "Replications"),
    (r"run\.seed", "Seed"),
)


def _words(name: str) -> str:
    return name.replace("_", " ")


def key_label(key: str) -> str:
    """A config key path as a reader says it (the key itself when it is not a path)."""
    key = str(key).lstrip("+~")
    for pattern, label in _PATTERNS:
        match = re.fullmatch(pattern, key)
        if match:
            text = label.format(*(_words(g) for g in match.groups()))
            return text[:1].upper() + text[1:]
    parts = key.split(".")
    if len(parts) == 1:
        return key
    section = re.fullmatch(r"scenario\.(?:agent_groups|contact_types|channels)\.([^.]+)\.(.+)", key)
    if section:  # what it is of, then the rest of the path: "Billing after call work max wait (s)"
        name, rest = section.groups()
        rest = re.sub(r"_s$", " (s)", rest)
        text = f"{_words(name)} " + " ".join(_words(p) for p in rest.split("."))
        return text[:1].upper() + text[1:]
    text = " ".join(_words(p) for p in parts[-2:])
    return text[:1].upper() + text[1:]


def override_words(override: str) -> str:
    """An override as a reader says it: ``scenario.agent_groups.generalists.staffing_delta=3`` ->
    "Generalists added (agents): 3"; ``null`` is "none", a removed key (``~key``) "removed"."""
    text = str(override).strip()
    key, sep, value = text.partition("=")
    if not sep:
        return f"{key_label(key)}: removed" if key.startswith("~") else key_label(key)
    value = value.strip()
    if value in ("null", "~", "", "None"):
        value = "none"
    elif re.fullmatch(r"[A-Za-z]+(_[A-Za-z]+)+", value):
        value = _words(value)
    return f"{key_label(key)}: {value}"


def wrap(text: str, width: int = 70) -> str:
    """``text`` broken over lines of at most ``width`` characters (a figure title that fits)."""
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False)) or text
