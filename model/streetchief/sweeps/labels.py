"""Sweep parameters, outcomes and numbers in words a non-programmer reads: no dotted paths, units
said, numbers without scientific notation.

`parameter_label("arrangements.multi_layer.layers.0.misrouting", scenario)` gives "community
office: share sent to the wrong place (0–1)"; `outcome_label("resolution_mean_h")` gives "hours
from report to resolution, mean (h)"; `readable(-1093.4)` gives "-1,093".
"""

from __future__ import annotations

import math
import re

from streetchief.outcomes import HIGHER_IS_BETTER, MEANINGS

# the last key of a parameter's path: what it is, with its unit
WORDS = {
    "rate_per_day": "problems a day",
    "crews": "crews",
    "on_call_crews": "crews on call at night",
    "clerks": "clerks",
    "operators": "operators",
    "officers": "officers",
    "misrouting": "share sent to the wrong place (0–1)",
    "unclear_share": "share with unclear responsibility (0–1)",
    "weight": "share of the district's problems (relative weight)",
    "merchants": "merchants",
    "deadline_hours": "deadline (h)",
    "interval_days": "days between rounds",
    "detection": "share of problems a round finds (0–1)",
    "hours": "hours a round (h)",
    "liaison_officers": "liaison officers a group",
    "escalate_after": "returns before escalation",
    "report_share": "share of problems reported (0–1)",
    "half_life_days": "half-life (days)",
    "floor": "lowest engagement (0–1)",
    "sanction_factor": "time factor under sanction",
    "sanction_days": "days a sanction lasts",
    "misclaim": "share first claimed by the wrong department (0–1)",
    "expected": "reports a problem gets from them",
    "department_calendar": "when departments take issues on",
    "calendar": "working hours",
    "by": "who coordinates on site",
    "enabled": "on or off",
    "fix_fails": "share of fixes that fail (0–1)",
    "cancelled": "share withdrawn (0–1)",
    "no_action": "share with nothing to do (0–1)",
    "acceptance_hours": "staff hours per issue taken on (h)",
}
# what a value is, where its last key alone would mislead (by the reference's path)
PATH_WORDS = {
    "department_response.calendar": "hours in which it takes issues on",
    "chiefs.<name>.calendar": "duty hours",
}
# a duration's name, before its statistic (median, mean)
DURATION_WORDS = {
    "take_on": "time to take an issue on",
    "pass_back": "time to send back what is not its own",
    "handling": "time to handle one",
    "travel": "time to reach the site",
    "work": "work on site",
    "lifetime": "how long the problem lasts by itself",
    "delay": "delay",
    "hours": "hours on site",
}
# a duration's own keys: the statistic (in hours, but for the coefficient of variation)
STATISTICS = {"median": "median", "mean": "mean", "cv": "coefficient of variation"}
UNITLESS = {"cv"}
EVERY = {
    "categories": "every category",
    "departments": "every department",
    "zones": "every zone",
    "chiefs": "every street chief",
}
ARRANGEMENT_WORDS = {
    "street_chief": "street chief",
    "hotline": "12345 hotline",
    "grid": "grid management",
    "multi_layer": "multi-layer routing",
}
SECTION_WORDS = {
    "patrol": "patrols",
    "inspection": "inspections",
    "deadlines": "deadlines",
    "engagement": "engagement",
    "coordination": "coordination",
}


def _words(key: str) -> str:
    return key.replace("_", " ")


def _reference() -> dict[str, str]:
    from streetchief.scenario.reference import parameter_reference

    return {path: meaning for path, _, _, meaning in parameter_reference()}


def _generic(keys: list[str]) -> str:
    """The reference's path for these keys: names as <name>, list positions as <n>."""
    out = []
    for n, k in enumerate(keys):
        if k.isdigit():
            out.append("<n>")
        elif n == 1 and keys[0] in ("categories", "departments", "zones", "calendars", "chiefs"):
            out.append("<name>")
        else:
            out.append(k)
    return ".".join(out)


def _owner(keys: list[str], scenario) -> tuple[str, list[str]]:
    """Whose value it is, in words, and the keys left after the owner."""
    head = keys[0]
    if head in EVERY and len(keys) > 2:  # one of many, or all of them (*)
        return EVERY[head] if keys[1] == "*" else _words(keys[1]), keys[2:]
    if head == "arrangements" and len(keys) > 2:
        every = "every arrangement" if keys[1] == "*" else None
        name, rest = every or ARRANGEMENT_WORDS.get(keys[1], _words(keys[1])), keys[2:]
        if rest[0] == "layers" and len(rest) > 2 and rest[1].isdigit():
            n = int(rest[1])
            layer = None
            try:
                layer = scenario.arrangement_params(keys[1]).layers[n].name
            except (AttributeError, IndexError, KeyError, TypeError, ValueError):
                pass
            return layer or f"{name}, layer {n + 1}", rest[2:]
        if rest[0] in SECTION_WORDS and len(rest) > 1:
            return f"{name}{"'s" if every else ''} {SECTION_WORDS[rest[0]]}", rest[1:]
        return name, rest
    if head == "department_response":
        return "every department", keys[1:]
    if head == "observers" and len(keys) > 2:
        return _words(keys[1]), keys[2:]
    return _words(head), keys[1:]


def parameter_label(path: str, scenario=None) -> str:
    """A parameter's dotted path in words with its unit; layers named as the scenario names them."""
    keys = str(path).split(".")
    owner, rest = _owner(keys, scenario)
    if not rest:
        return owner
    last = rest[-1]
    if last in STATISTICS and len(rest) > 1:  # a duration's median or mean, in hours
        what = DURATION_WORDS.get(rest[-2]) or _reference().get(_generic(keys[:-1]))
        what = what or _words(rest[-2])
        unit = "" if last in UNITLESS else ", h"
        return f"{owner}: {what} ({STATISTICS[last]}{unit})"
    # "hours" is a round's length under a patrol or an inspection; elsewhere the reference says
    what = PATH_WORDS.get(_generic(keys).replace(".*.", ".<name>."))
    if what is None and (last != "hours" or keys[-2] in SECTION_WORDS):
        what = WORDS.get(last)
    if what is None:
        meaning = _reference().get(_generic(keys))
        what = meaning or _words(last)
        if last.endswith("_days"):
            what += " (days)"
        elif last == "hours" or last.endswith(("_hours", "_h")):
            what += " (h)"
    return f"{owner}: {what}"


def outcome_label(outcome: str) -> str:
    """An outcome's name in words, with its unit."""
    meaning = MEANINGS.get(outcome, _words(outcome))
    if meaning.startswith("…"):  # "… median" follows the one before it
        stem = MEANINGS[outcome.rsplit("_", 2)[0] + "_mean_h"].rsplit(",", 1)[0]
        meaning = f"{stem}, {meaning[2:]}"
    if outcome.endswith("_h") and "(h)" not in meaning:
        meaning += " (h)"
    return meaning


def difference_label(outcome: str, treatment="street_chief", baseline="multi_layer") -> str:
    """What a paired difference means, in words: which is better when it is negative."""
    t = ARRANGEMENT_WORDS.get(treatment, _words(treatment))
    b = ARRANGEMENT_WORDS.get(baseline, _words(baseline))
    better = "above" if outcome in HIGHER_IS_BETTER else "below"
    return f"{t} − {b}: {outcome_label(outcome)}; {better} 0: {t} better"


def readable(v, digits: int = 3) -> str:
    """A number for reading: thousands separated, a few significant digits, never 1.09e+03."""
    if v is None or isinstance(v, bool):
        return "—" if v is None else ("yes" if v else "no")
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    a = abs(x)
    decimals = 0 if a >= 10 ** (digits - 1) else max(0, digits - 1 - math.floor(math.log10(a)))
    decimals = min(decimals, 4)
    text = f"{x:,.{decimals}f}"
    if decimals and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if re.fullmatch(r"-?0", text) else text


def readable_table(frame, scenario=None, outcome: str | None = None):
    """A copy of a table with its columns in words and its numbers as text for reading."""
    names = {}
    for c in frame.columns:
        if "." in str(c):
            names[c] = parameter_label(c, scenario)
        elif c in MEANINGS:
            names[c] = outcome_label(c)
        elif c in ARRANGEMENT_WORDS:
            names[c] = ARRANGEMENT_WORDS[c] + (f": {outcome_label(outcome)}" if outcome else "")
        else:
            names[c] = COLUMN_WORDS.get(c, _words(str(c)))
    pair = [c for c in frame.columns if c in ARRANGEMENT_WORDS]
    if "difference" in frame.columns and len(pair) == 2:  # an advantage table: baseline first
        base, treat = (ARRANGEMENT_WORDS[a] for a in pair)
        names["difference"] = f"difference ({treat} − {base})"
    out = frame.copy()
    for c in out.columns:
        if c == "parameter":
            out[c] = [parameter_label(p, scenario) for p in out[c]]
        elif out[c].dtype.kind in "biuf":
            out[c] = [readable(v) for v in out[c]]
    return out.rename(columns=names)


COLUMN_WORDS = {
    "point_id": "point",
    "difference": "difference (street chief − baseline)",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
    "replications": "replications",
    "significant": "significant",
    "parameter": "parameter",
    "mu_star": "Morris μ* (effect)",
    "mu_star_conf": "μ* ± (95%)",
    "sigma": "σ (interactions)",
    "S1": "first-order index",
    "S1_conf": "first-order ± (95%)",
    "ST": "total index",
    "ST_conf": "total ± (95%)",
    "low_third": "advantage, lowest third of values",
    "high_third": "advantage, highest third",
    "swing": "swing",
}
