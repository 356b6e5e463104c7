"""Reading what users give us with bounds: file size, nesting depth, expanded size, duplicate keys.

A scenario, a sweep spec or a result's record is read whole into memory and walked by recursive
code (YAML's composer, pydantic, `copy.deepcopy`), so each is bounded before it is used: a regular
file no larger than `limit` bytes (never a device, a pipe or a symlink loop), nesting no deeper than
`MAX_DEPTH`, no more than `MAX_NODES` values once YAML aliases are expanded, and no key given twice
in one mapping (YAML would keep the last one silently).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml

MAX_YAML_BYTES = 16 * 2**20  # a scenario or sweep spec; the megacity scenario is about 100 kB
MAX_RECORD_BYTES = 256 * 2**20  # a result's record (summary.json, compare.json, sweep.json)
MAX_DEPTH = 64  # scenarios nest about 7 deep
MAX_NODES = 2_000_000  # values, counting each use of a YAML alias in full


class InputTooLarge(ValueError):
    """A file or a document past one of the bounds above; the message says which and the limit."""


def read_bytes(path: str | Path, limit: int) -> bytes:
    """The content of a regular file of at most `limit` bytes; anything else raises OSError or
    InputTooLarge (a FIFO or a device is refused without blocking on it)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputTooLarge("not a plain file (a device, a pipe or a folder)")
        if st.st_size > limit:
            raise InputTooLarge(f"too large: {st.st_size:,} bytes; at most {limit:,} are read")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        if len(data) > limit:  # grew while being read
            raise InputTooLarge(f"too large: more than {limit:,} bytes are read")
        return data
    finally:
        os.close(fd)


def check_shape(doc, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raise InputTooLarge if a value of `doc` (plain data) sits deeper than `max_depth` levels (the
    top level is level 1) or `doc` holds more than `max_nodes` values (shared sub-documents, from
    YAML aliases, counted at every use)."""
    stack, nodes = [(doc, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputTooLarge(
                f"more than {max_nodes:,} values (counting every use of a YAML alias)"
            )
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, (list, tuple)):
            children = node
        else:
            continue
        if depth >= max_depth and children:
            raise InputTooLarge(f"nested deeper than {max_depth} levels")
        stack.extend((c, depth + 1) for c in children)


class DuplicateKey(yaml.MarkedYAMLError):
    """A mapping that gives one key twice; both lines are in the message."""


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                hash(key)
            except (TypeError, yaml.constructor.ConstructorError):
                continue  # the base class reports unhashable keys
            if key in seen:
                raise DuplicateKey(
                    problem=f"duplicate key {key!r} (first at line {seen[key] + 1}, again at line "
                    f"{key_node.start_mark.line + 1}); YAML would keep only the last: give it once",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)


def load_yaml(text: str):
    """Safe YAML with duplicate keys refused and its shape bounded. Raises yaml.YAMLError (with a
    line) or InputTooLarge."""
    loader = _StrictLoader(text)
    try:
        doc = loader.get_single_data()
    except RecursionError:
        raise InputTooLarge(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    check_shape(doc)
    return doc


def load_json(path: str | Path, limit: int = MAX_RECORD_BYTES):
    """A JSON file, bounded like `read_bytes` and `check_shape`. Raises OSError, InputTooLarge,
    UnicodeDecodeError or ValueError (json.JSONDecodeError, with its line and column)."""
    text = read_bytes(path, limit).decode("utf-8")
    try:
        doc = json.loads(text)
    except RecursionError:
        raise InputTooLarge(f"nested deeper than {MAX_DEPTH} levels") from None
    check_shape(doc)
    return doc
