"""Errors about what a user gave us: a scenario, a sweep spec, an issue log, a mapping, a folder.

Each lists every problem as 'where: what is wrong' and names the file; the command line prints it
and exits 2. Nothing else should reach a user as a traceback.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel


class InputError(Exception):
    """Input that cannot be used; `source` names it, `problems` are 'path: what is wrong' lines."""

    what = "input"  # what kind of input, for messages

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        lines = "\n".join(f"  {p}" for p in problems)
        n = len(problems)
        super().__init__(f"{source}: {n} problem{'s' * (n != 1)}:\n{lines}")


class ScenarioError(InputError):
    """A scenario that cannot be run."""

    what = "scenario"


SHOWN = 8  # examples of each kind of problem in an error message


class IssueLogError(InputError):
    """An issue log (or mapping) that cannot be used; `problems` says where and how to fix it."""

    def __init__(self, source: str, problems: list[str], what: str = "issue log"):
        if len(problems) > 2 * SHOWN:
            problems = problems[: 2 * SHOWN] + [f"... and {len(problems) - 2 * SHOWN} more"]
        super().__init__(source, problems)
        self.what = what


class SweepError(InputError):
    """A sweep spec that cannot run, or an output folder that cannot take it."""

    what = "sweep"


class VerifyError(InputError):
    """A results folder that cannot be verified."""

    what = "verify"


class OutputError(InputError):
    """An output (`--out`) that cannot be written or may not be replaced."""

    what = "output"


class SizeError(InputError):
    """Work too large to start without `--force`: the estimate, the limit and what to do instead."""

    what = "too large:"


def allowed_keys(root: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys a mapping at `loc` may hold, found by walking the schema."""
    node = root
    for part in loc:
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(part) or next(
                (f for f in node.model_fields.values() if f.alias == part), None
            )
            if field is None:
                return None
            node = field.annotation
            continue
        origin, args = typing.get_origin(node), typing.get_args(node)
        if origin in (dict, list) and args:
            node = args[-1]
        else:
            return None
    if isinstance(node, type) and issubclass(node, BaseModel):
        return [f.alias or k for k, f in node.model_fields.items()]
    return None


def describe_error(err: dict, root: type[BaseModel]) -> str:
    """One pydantic validation error as 'path: what is wrong', in words a user can act on; `root` is
    the schema the error is about (to list the keys allowed where an unknown one was found)."""
    path = ".".join(
        str(p) for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
    )
    kind, ctx, got = err["type"], err.get("ctx", {}), err.get("input")
    bounds = {
        "greater_than_equal": "≥ {ge:g}",
        "greater_than": "> {gt:g}",
        "less_than_equal": "≤ {le:g}",
        "less_than": "< {lt:g}",
    }
    if kind in bounds:
        msg = f"must be {bounds[kind].format(**ctx)}, got {got!r}"
    elif kind == "extra_forbidden":
        allowed = allowed_keys(root, tuple(err["loc"][:-1]))
        msg = "unknown key" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        msg = "required, missing"
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        kinds = "fixed, exponential, lognormal, gamma, uniform, empirical"
        msg = f"dist must be one of {kinds}; got {got!r}"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected')}, got {got!r}"
    elif kind.startswith(("datetime", "date_")):
        msg = f"{err['msg']}, got {got!r} (write e.g. 2019-10-14T00:00 or 2019-10-14)"
    else:
        msg = err["msg"].removeprefix("Value error, ")
        if got is not None and not isinstance(got, (dict, list)):
            msg += f", got {got!r}"
    return f"{path or '(top level)'}: {msg}"
