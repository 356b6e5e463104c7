"""What differs between a scenario's arrangements, and where each value comes from.

Departments take issues on the same way under every arrangement (`department_response`); what an
arrangement changes of that, it changes through a parameter of its own, named in
`arrangements.base.DEPARTMENT_OVERRIDES`. This module lists every parameter that two or more
arrangements share (by name) and set to different values, and every department override that any
arrangement sets, with each value's source tag read from the comment on its line of the scenario
file (`[seed]`, `[cal]`, `[log]`, `[assumption]`). `streetchief parameters --differing SCENARIO`
prints it; the README's table is this one (a test checks that they agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streetchief.arrangements.base import DEPARTMENT_OVERRIDES

TAG = re.compile(r"\[(seed|cal|log|assumption)\b[^\]]*\]")


@dataclass
class Difference:
    """One parameter: its value and the tags of its source under each arrangement that has it."""

    parameter: str  # the path inside an arrangement's section, e.g. patrol.interval_days
    values: dict[str, object]  # arrangement → value (None: the departments' own, or unset)
    tags: dict[str, list[str]]  # arrangement → its source tags ([] where the file sets nothing)
    written: dict[str, bool]  # arrangement → whether the scenario file sets it


def _leaves(d: dict, prefix: str = "") -> dict[str, object]:
    """A nested mapping's values by dotted path; a duration ({dist: ...}) is one value."""
    out = {}
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict) and "dist" not in v and v and k != "hears":
            out.update(_leaves(v, f"{path}."))
        else:
            out[path] = v
    return out


def source_comment(text: str, path: str) -> tuple[str | None, bool]:
    """(the comment on the line of the scenario file that sets `path`, or on the comment-only line
    below it; whether the file sets the value at all). A value inside a flow mapping
    (`patrol: {by: officers, ...}`) has the comment of the line its mapping is on."""
    lines = text.splitlines()
    keys = path.split(".")
    start, end, parent_indent, found = 0, len(lines), -1, None
    for depth, key in enumerate(keys):
        child_indent, hit = None, None
        for n in range(start, end):
            stripped = lines[n].lstrip()
            if not stripped or stripped.startswith("#"):
                continue
            indent = len(lines[n]) - len(stripped)
            if indent <= parent_indent:
                end = n
                break
            child_indent = indent if child_indent is None else child_indent
            if indent == child_indent and re.match(rf"{re.escape(key)}\s*:", stripped):
                hit = n
                break
        if hit is None:
            if found is not None and _inline(lines[found], keys[depth:]):
                return _comment(lines, found), True
            return None, False
        found = hit
        rest = lines[hit].split(":", 1)[1].split("#", 1)[0].strip()
        if rest and depth < len(keys) - 1:  # the rest of the path is in this line's flow mapping
            return _comment(lines, found), _inline(lines[found], keys[depth + 1 :])
        start, parent_indent = hit + 1, child_indent
    return _comment(lines, found), True


def _inline(line: str, keys: list[str]) -> bool:
    """Whether a flow mapping on this line names the first of `keys`."""
    body = line.split("#", 1)[0]
    return bool(keys) and re.search(rf"[{{,]\s*{re.escape(keys[0])}\s*:", body) is not None


def _comment(lines: list[str], n: int) -> str | None:
    for part in (lines[n], lines[n + 1] if n + 1 < len(lines) else ""):
        stripped = part.lstrip()
        if part is not lines[n] and not stripped.startswith("#"):
            break
        if "#" in part:
            return part.split("#", 1)[1].strip()
    return None


def tags(comment: str | None) -> list[str]:
    """The source tags in a comment: [seed], [cal], [log], [assumption]."""
    return [f"[{m.group(1)}]" for m in TAG.finditer(comment or "")]


def differences(scenario, text: str) -> list[Difference]:
    """Every parameter two or more of `scenario`'s arrangements share and set differently, and
    every department override set by any of them; `text` is the scenario file, for the tags."""
    from streetchief.experiment import scenario_parameters

    params = scenario_parameters(scenario)["arrangements"]
    leaves = {a: _leaves(p) for a, p in params.items()}
    paths = dict.fromkeys(p for lv in leaves.values() for p in lv)
    rows = []
    for path in paths:
        have = [a for a in leaves if path in leaves[a]]
        values = {a: leaves[a][path] for a in have}
        override = path in DEPARTMENT_OVERRIDES and any(v is not None for v in values.values())
        distinct = {repr(v) for v in values.values()}
        if not override and (len(have) < 2 or len(distinct) < 2):
            continue
        found = {a: source_comment(text, f"arrangements.{a}.{path}") for a in have}
        rows.append(
            Difference(
                parameter=path,
                values=values,
                tags={a: tags(c) for a, (c, _) in found.items()},
                written={a: w for a, (_, w) in found.items()},
            )
        )
    return rows


def value_text(v) -> str:
    """A parameter's value for reading: a duration as its distribution, a mapping as pairs."""
    if v is None:
        return "—"
    if isinstance(v, dict) and "dist" in v:
        rest = ", ".join(f"{k} {x:g}" for k, x in v.items() if k != "dist")
        return f"{v['dist']} ({rest})"
    if isinstance(v, dict):
        return ", ".join(
            f"{k} {x:g}" if isinstance(x, float | int) else f"{k} {x}" for k, x in v.items()
        )
    if isinstance(v, bool):
        return "on" if v else "off"
    return f"{v:g}" if isinstance(v, float) else str(v)


def markdown(rows: list[Difference], arrangements: list[str]) -> str:
    """The table as the README has it: a row per parameter, a cell per arrangement with its
    value and source tags (blank: the arrangement has no such parameter; "default": the file
    leaves it at the schema's default)."""
    out = [
        "| parameter | " + " | ".join(f"`{a}`" for a in arrangements) + " |",
        "|---|" + "---|" * len(arrangements),
    ]
    for r in rows:
        cells = []
        for a in arrangements:
            if a not in r.values:
                cells.append("")
                continue
            where = " ".join(r.tags[a]) if r.written[a] else "default"
            cells.append(f"{value_text(r.values[a])} {where}".strip())
        out.append(f"| `{r.parameter}` | " + " | ".join(cells) + " |")
    return "\n".join(out)
