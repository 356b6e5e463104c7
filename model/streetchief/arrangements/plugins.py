"""Arrangements from outside the package: a scenario's `plugins:` (Python files beside it, or
importable modules) and installed packages' entry points (group `streetchief.arrangements`).

A plug-in is an ordinary module whose arrangement classes carry `@register`; importing it is what
makes them known. A file is imported once per process under a name drawn from its path, so a
scenario loaded again (or in a sweep's worker) finds the same classes. Naming a plug-in runs its
code, as importing a module does: name only files you trust.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

GROUP = "streetchief.arrangements"  # entry points: name = "package.module:Class"


def load_plugins(names: list, folder: Path | None) -> list[str]:
    """Import each plug-in (a `.py` file, relative to `folder`, or a module name); the problems,
    one line each, naming the plug-in and what went wrong."""
    problems = []
    for k, name in enumerate(names):
        where = f"plugins[{k}] {name!r}"
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: a .py file or a module name")
            continue
        try:
            if name.endswith(".py"):
                path = Path(name).expanduser()
                if not path.is_absolute():
                    path = (folder or Path.cwd()) / path
                _import_file(path.resolve())
            else:
                importlib.import_module(name)
        except FileNotFoundError as e:
            problems.append(f"{where}: no such file ({e.args[0] if e.args else name})")
        except ModuleNotFoundError as e:
            problems.append(f"{where}: cannot be imported ({e})")
        except Exception as e:  # its own code failed: say where, not a traceback
            problems.append(f"{where}: raised {type(e).__name__}: {e}")
    return problems


def absolute(names: list, folder: Path) -> list:
    """`.py` plug-ins written relative to the scenario file, made absolute (as a sweep's worker,
    in another folder, must find them)."""
    return [
        str((folder / n).resolve()) if isinstance(n, str) and n.endswith(".py") else n
        for n in names
    ]


def from_entry_points(name: str) -> bool:
    """Load the installed entry point of that name in `GROUP`, if there is one (True: loaded)."""
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group=GROUP) if e.name == name]
    for e in found:
        e.load()  # the class's @register makes it known
    return bool(found)


def _import_file(path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"streetchief_plugin_{path.stem}_{digest}"
    if module_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
