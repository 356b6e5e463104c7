"""Every scenario parameter with its path, type, default and meaning (`streetchief parameters`)."""

from __future__ import annotations

import types
import typing

from pydantic import BaseModel

from streetchief.arrangements import ARRANGEMENTS
from streetchief.distributions import _Dist
from streetchief.scenario.schema import Scenario


def parameter_reference() -> list[tuple[str, str, str, str]]:
    """(path, type, default, description) for every scenario parameter, arrangements included."""
    rows: list[tuple[str, str, str, str]] = []

    def first_line(doc: str | None) -> str:  # the first paragraph, on one line
        return " ".join((doc or "").strip().split("\n\n")[0].split())

    def plain(cls: type) -> str:  # ZoneSpec → Zone
        return cls.__name__.removesuffix("Spec")

    def is_duration(t) -> bool:
        return typing.get_origin(t) in (typing.Union, types.UnionType) and all(
            isinstance(a, type) and issubclass(a, _Dist) for a in typing.get_args(t)
        )

    def type_name(t) -> str:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if is_duration(t):
            return "duration (h)"
        if origin is typing.Literal:
            return " | ".join(args)
        if origin is list:
            return f"list of {type_name(args[0])}"
        if origin is dict:
            key, value = args
            if typing.get_origin(key) is typing.Literal:
                return f"per weekday: {type_name(value)}"
            return f"name → {type_name(value)}"
        return t.__name__ if isinstance(t, type) else str(t)

    def default_of(f, key: str, defaults: BaseModel | None) -> str:
        if defaults is not None:  # a section's own default (a patrol off, by officers) wins
            v = getattr(defaults, key)
        elif f.is_required():
            return "required"
        else:
            v = f.get_default(call_default_factory=True)
        if isinstance(v, _Dist):
            return v.model_dump_json(by_alias=True, exclude_defaults=False)
        return repr(v) if v not in ({}, [], "") else "—"

    def walk(model: type[BaseModel], prefix: str, defaults: BaseModel | None = None):
        """`defaults`: the section's default instance, whose values may differ from its class's
        (an arrangement's own patrol, off where the class has it on)."""
        for key, f in model.model_fields.items():
            name = f.alias or key
            t = f.annotation
            origin, args = typing.get_origin(t), typing.get_args(t)
            default = default_of(f, key, defaults)
            if isinstance(t, type) and issubclass(t, BaseModel):
                rows.append(
                    (f"{prefix}{name}", "section", "", f.description or first_line(t.__doc__))
                )
                if defaults is not None:
                    section = getattr(defaults, key)
                elif f.is_required():
                    section = None
                else:
                    section = f.get_default(call_default_factory=True)
                walk(t, f"{prefix}{name}.", section if isinstance(section, BaseModel) else None)
            elif (
                origin in (dict, list)
                and isinstance(args[-1], type)
                and issubclass(args[-1], BaseModel)
            ):
                item = "<name>" if origin is dict else "<n>"
                rows.append(
                    (
                        f"{prefix}{name}",
                        f"{origin.__name__} of {plain(args[-1])}",
                        "",
                        f.description or first_line(args[-1].__doc__),
                    )
                )
                walk(args[-1], f"{prefix}{name}.{item}.")
            elif prefix == "" and name == "arrangements":
                for arr, cls in ARRANGEMENTS.items():
                    rows.append((f"arrangements.{arr}", "section", "", first_line(cls.__doc__)))
                    walk(cls.Params, f"arrangements.{arr}.")
            else:
                rows.append((f"{prefix}{name}", type_name(t), default, f.description or ""))

    walk(Scenario, "")
    return rows
