"""Loading scenarios: a YAML file (or a dict) → a validated `Scenario`, or a `ScenarioError` listing
every problem with its path in the file (`departments.traffic_police.crews: must be ≥ 1, got 0`).

A scenario names its arrangements; each arrangement's parameters are validated by the arrangement's
own schema (`streetchief.arrangements`), so a plug-in's parameters get the same checks and messages.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from pydantic import ValidationError

from streetchief.arrangements import ARRANGEMENTS
from streetchief.errors import InputError, ScenarioError, describe_error
from streetchief.inputs import InputTooLarge, check_shape
from streetchief.scenario.limits import run_problems
from streetchief.scenario.schema import Scenario


def shipped() -> Path:
    """The shipped scenarios' folder: package data, in the checkout or where it was installed."""
    from importlib.resources import files

    return Path(str(files("streetchief.scenarios")))


def _section(raw: dict, name: str) -> dict:
    v = raw.get(name)
    return v if isinstance(v, dict) else {}


def known_names(raw: dict) -> dict[str, set[str]]:
    """The names each section defines, to check references even where other fields are broken."""
    return {
        k: set(_section(raw, k))
        for k in (
            "calendars",
            "zones",
            "chiefs",
            "liaison_groups",
            "departments",
            "categories",
            "observers",
        )
    }


def _reference_problems(raw: dict) -> list[str]:
    known = known_names(raw)
    problems = []

    def need(path, value, section, what):
        if isinstance(value, str) and known[section] and value not in known[section]:
            problems.append(
                f"{path}: unknown {what} {value!r}; known: {', '.join(sorted(known[section]))}"
            )

    for k, z in _section(raw, "zones").items():
        if isinstance(z, dict):
            need(
                f"zones.{k}.liaison_group",
                z.get("liaison_group"),
                "liaison_groups",
                "liaison group",
            )
            need(f"zones.{k}.chief", z.get("chief"), "chiefs", "chief")
    for k, c in _section(raw, "chiefs").items():
        if isinstance(c, dict):
            need(f"chiefs.{k}.calendar", c.get("calendar"), "calendars", "calendar")

    def take_on_calendar(path, value):  # "own" and "always" besides the scenario's calendars
        if value not in ("own", "always"):
            need(path, value, "calendars", 'calendar (or "own", "always")')

    response = raw.get("department_response")
    if isinstance(response, dict):
        take_on_calendar("department_response.calendar", response.get("calendar"))
    for k, d in _section(raw, "departments").items():
        if isinstance(d, dict):
            need(f"departments.{k}.calendar", d.get("calendar"), "calendars", "calendar")
            if isinstance(d.get("response"), dict):
                take_on_calendar(
                    f"departments.{k}.response.calendar", d["response"].get("calendar")
                )
    for k, c in _section(raw, "categories").items():
        if isinstance(c, dict):
            need(f"categories.{k}.department", c.get("department"), "departments", "department")
    arr = raw.get("arrivals") if isinstance(raw.get("arrivals"), dict) else {}
    profiles = (
        set(arr.get("profiles") or {}) | {"flat"}
        if isinstance(arr.get("profiles") or {}, dict)
        else {"flat"}
    )
    for k, c in _section(raw, "categories").items():
        if (
            isinstance(c, dict)
            and isinstance(c.get("profile"), str)
            and c["profile"] not in profiles
        ):
            problems.append(
                f"categories.{k}.profile: unknown profile {c['profile']!r}; known: "
                f"{', '.join(sorted(profiles))} (define it under arrivals.profiles)"
            )
    if isinstance(arr.get("default_profile"), str) and arr["default_profile"] not in profiles:
        problems.append(
            f"arrivals.default_profile: unknown profile {arr['default_profile']!r}; known: "
            f"{', '.join(sorted(profiles))}"
        )
    for n, b in enumerate(
        arr.get("bursts") or [] if isinstance(arr.get("bursts") or [], list) else []
    ):
        if isinstance(b, dict):
            need(f"arrivals.bursts.{n}.category", b.get("category"), "categories", "category")
            need(f"arrivals.bursts.{n}.zone", b.get("zone"), "zones", "zone")
    rates = [
        c.get("rate_per_day") for c in _section(raw, "categories").values() if isinstance(c, dict)
    ]
    if rates and all(isinstance(r, (int, float)) and r == 0 for r in rates):
        problems.append("categories: every rate_per_day is 0, so no problem would ever arise")
    weights = [z.get("weight", 1) for z in _section(raw, "zones").values() if isinstance(z, dict)]
    if weights and all(isinstance(w, (int, float)) and w == 0 for w in weights):
        problems.append("zones: every weight is 0, so no zone can have a problem")
    return problems


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario name (`jingxing_2019`) or a path to a YAML file."""
    p = Path(name_or_path)
    # a folder that happens to bear a scenario's name (`--out jingxing_2019`) is not a scenario
    if p.suffix in (".yaml", ".yml") or p.is_file():
        return p
    for base in (Path.cwd() / "scenarios", shipped()):
        q = base / f"{p.name}.yaml"
        if q.exists():
            return q
    known = sorted(f.stem for f in shipped().glob("*.yaml"))
    what = "not a plain file (a folder or a device)" if p.exists() else "no such scenario file"
    raise ScenarioError(str(name_or_path), [f"{what}; shipped scenarios: {', '.join(known)}"])


def load_scenario(name_or_path: str | Path | dict, **overrides) -> Scenario:
    """Load and validate a scenario; `overrides` are dotted paths, e.g. `{'run.days': 30}`."""
    if isinstance(name_or_path, dict):
        source, raw = "<dict>", name_or_path
        try:
            check_shape(raw)
        except InputTooLarge as e:
            raise ScenarioError(source, [f"too large: {e}"]) from None
    else:
        path = resolve_path(name_or_path)
        source = str(path)
        raw = read_yaml_mapping(path, ScenarioError, "sections (name, run, zones, ...)")
        if "scenario" in raw and "zones" not in raw:
            raise ScenarioError(
                source,
                [f"this is a sweep spec, not a scenario: run it with `streetchief sweep {path}`"],
            )
    if overrides:
        source = f"{source} (with {', '.join(overrides)} set)"
    raw = apply_overrides(raw, overrides, source)
    return validate(raw, source)


def read_yaml_mapping(path: Path, error: type[InputError], holds: str) -> dict:
    """A YAML file that must hold a mapping, read safely and within bounds (size, nesting, aliases,
    no key given twice); problems raise `error` with the line. A scenario's `plugins:` files are
    made absolute here, beside the file, so that every reader of a scenario finds them."""
    from streetchief.inputs import MAX_YAML_BYTES, load_yaml, read_bytes

    source = str(path)
    try:
        raw = load_yaml(read_bytes(path, MAX_YAML_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise error(source, [f"cannot read: {getattr(e, 'strerror', None) or e}"]) from None
    except InputTooLarge as e:
        raise error(source, [f"cannot read: {e}"]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(source, [f"{where}not valid YAML ({getattr(e, 'problem', e)})"]) from None
    if not isinstance(raw, dict):
        raise error(source, [f"(top level): must be a mapping of {holds}"])
    if isinstance(raw.get("plugins"), list):  # a scenario's own files: beside it, wherever read
        from streetchief.arrangements.plugins import absolute

        raw["plugins"] = absolute(raw["plugins"], Path(path).parent)
    return raw


def validate(raw: dict, source: str = "<dict>") -> Scenario:
    """The scenario in `raw` (plain data as read from YAML), checked whole: every problem listed."""
    problems: list[str] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as e:
        problems.extend(describe_error(err, Scenario) for err in e.errors())
    problems.extend(_reference_problems(raw))
    if scenario is not None:
        for k in scenario.departments:
            r = scenario.response_of(k)
            if r.cancelled + r.no_action > 1:
                problems.append(
                    f"departments.{k}.response: cancelled + no_action must be at most 1, got "
                    f"{r.cancelled + r.no_action:g}"
                )
    plugins = raw.get("plugins")
    if isinstance(plugins, list) and plugins:
        from streetchief.arrangements.plugins import load_plugins

        problems.extend(load_plugins(plugins, None))
    known = known_names(raw)
    params = {}
    for name, body in (
        (raw.get("arrangements") or {}).items() if isinstance(raw.get("arrangements"), dict) else ()
    ):
        cls = ARRANGEMENTS.get(name)
        if cls is None:
            from streetchief.arrangements.plugins import from_entry_points

            if from_entry_points(name):  # an installed package's
                cls = ARRANGEMENTS.get(name)
        if cls is None:
            problems.append(
                f"arrangements.{name}: unknown arrangement; known: "
                f"{', '.join(sorted(ARRANGEMENTS))} (one of your own: name its file under "
                "`plugins:`, or install a package giving it as a `streetchief.arrangements` "
                "entry point)"
            )
            continue
        body, moved = _without_moved(body or {}, f"arrangements.{name}")
        problems.extend(moved)
        try:
            params[name] = cls.Params.model_validate(body)
        except ValidationError as e:
            for err in e.errors():
                d = describe_error(err, cls.Params).removeprefix("(top level)")
                problems.append(f"arrangements.{name}{'' if d.startswith(':') else '.'}{d}")
            continue
        problems.extend(params[name].check(known, f"arrangements.{name}"))
    if problems:
        raise ScenarioError(source, problems)
    scenario._arrangement_params = params
    problems = run_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


# arrangement parameters that became the departments' own (`department_response`): the key, where
# it lives now, and what to write there
MOVED = {
    "claim": "department_response.take_on",
    "sign_for": "department_response.take_on",
    "department_accept": "department_response.take_on",
    "return_delay": "department_response.pass_back",
    "unclear_pass": "department_response.pass_back",
    "acceptance_work": "department_response.acceptance_hours",
    "claim_calendar": "department_calendar (this arrangement's, or department_response.calendar)",
    "inspection.sanction_factor": "department_response.sanction_factor",
    "deadlines.sanction_factor": "department_response.sanction_factor",
}


def _without_moved(body, path: str) -> tuple[object, list[str]]:
    """An arrangement's parameters without the keys that moved, and a problem for each."""
    if not isinstance(body, dict):
        return body, []
    body, problems = dict(body), []
    for old, new in MOVED.items():
        *parent, key = old.split(".")
        node = body[parent[0]] if parent and isinstance(body.get(parent[0]), dict) else body
        if parent and node is body:
            continue
        if key in node:
            if parent:
                node = body[parent[0]] = {k: v for k, v in node.items() if k != key}
            else:
                del node[key]
            problems.append(
                f"{path}.{old}: moved to {new}: how a department takes issues on is the "
                "department's, the same under every arrangement"
            )
    return body, problems


def apply_overrides(raw: dict, overrides: dict, source: str) -> dict:
    """A copy of `raw` with each dotted path (`departments.sanitation.crews`) set to its value; a
    `*` stands for every key or item at its place (`chiefs.*.calendar`: every chief's calendar)."""
    raw = _unshared(raw)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        nodes = [raw]
        for k in keys[:-1]:
            nodes = [child for node in nodes for child in _children(node, k, dotted, source)]
        last = keys[-1]
        for node in nodes:
            if last == "*":
                for k in list(node) if isinstance(node, dict) else range(len(node)):
                    node[k] = copy.deepcopy(value)
            elif isinstance(node, list) and last.isdigit():
                node[int(last)] = copy.deepcopy(value)
            else:
                node[last] = copy.deepcopy(value)
    return raw


def _unshared(node):
    """A copy in which no two places share an object: a YAML alias (`*name`) or a dict given twice
    from Python is copied apart, so that setting one place changes that place alone (a deepcopy
    would keep them one object)."""
    if isinstance(node, dict):
        return {k: _unshared(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_unshared(v) for v in node]
    return copy.deepcopy(node)


def _children(node, k: str, dotted: str, source: str) -> list:
    if k == "*" and isinstance(node, dict | list) and len(node):
        return list(node.values()) if isinstance(node, dict) else list(node)
    if isinstance(node, list) and k.isdigit() and int(k) < len(node):
        return [node[int(k)]]
    if isinstance(node, dict) and k in node:
        return [node[k]]
    raise ScenarioError(source, [f"{dotted}: no such place in the scenario (stops at {k!r})"])
