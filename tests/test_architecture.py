"""The codebase's shape: data flows one way, each module says what it is for, one class per domain
name, a light import, and a plug-in contract whose every documented name exists."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import streetchief

PACKAGE = Path(streetchief.__file__).resolve().parent
ROOT = PACKAGE.parents[1]  # model/streetchief/ → the repository


def _modules() -> dict[str, Path]:
    out = {}
    for f in sorted(PACKAGE.rglob("*.py")):
        parts = list(f.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["streetchief", *parts])] = f
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The package's modules that `name` imports anywhere in its code (type checking aside)."""
    found = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                self.generic_visit(node)

        def visit_Import(self, node):
            found.update(a.name for a in node.names if a.name in modules)

        def visit_ImportFrom(self, node):
            if node.module in modules:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    found.add(sub if sub in modules else node.module)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found - {name}


def test_the_import_graph_has_no_circle():
    modules = _modules()
    graph = {n: _imports(n, p, modules) for n, p in modules.items()}
    state, stack, circles = {}, [], []

    def visit(n):
        state[n] = "open"
        stack.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == "open":
                circles.append(stack[stack.index(m) :] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = "done"

    for n in sorted(graph):
        if n not in state:
            visit(n)
    assert not circles, "\n".join(" → ".join(c) for c in circles)
    assert graph["streetchief"] == set()  # the package's own __init__ imports nothing at once


def test_every_module_says_what_it_is_for_in_its_first_line():
    for name, path in _modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.split("\n")[0]) > 20, f"{name}: no docstring saying what it is for"


def test_one_class_per_domain_name():
    seen: dict[str, str] = {}
    clashes = []
    for name, path in _modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                if node.name in seen:
                    clashes.append(f"{node.name}: {seen[node.name]} and {name}")
                seen[node.name] = name
    assert not clashes


def test_pyproject_installs_every_package_folder():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    config = pyproject["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {n for n, p in _modules().items() if p.name == "__init__.py"}
    folders.add("streetchief.scenarios")
    data_only = listed - folders  # folders of data files, each with its files named
    assert data_only == {
        "streetchief.fonts",
        "streetchief.scenarios.calibration",
        "streetchief.scenarios.mappings",
        "streetchief.scenarios.reports",
    }
    assert data_only <= set(config["package-data"])
    assert folders <= listed
    assert config["package-dir"] == {"": "model", "streetchief.scenarios": "scenarios"}


def test_the_package_lives_where_its_import_name_says_so_static_tools_find_it():
    """model/streetchief/: the folder is the import name (a src layout under model/), and the
    type checkers' settings point at model/, so pyright, mypy and an IDE resolve `streetchief`
    without running the editable install's import hook."""
    assert PACKAGE == ROOT / "model" / "streetchief"
    assert not [p for p in (ROOT / "model").glob("*.py")]  # nothing beside the package
    tools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert tools["pyright"]["extraPaths"] == ["model"] and tools["mypy"]["mypy_path"] == "model"


def test_import_and_help_load_nothing_heavy(tmp_path):
    """`streetchief --version` and `--help` stay fast because they import no numerical library."""
    code = (
        "import sys, contextlib, io\nfrom streetchief.cli import _parser\nwith "
        "contextlib.redirect_stdout(io.StringIO()):\n    try:\n        "
        "_parser().parse_args(['--help'])\n    except SystemExit:\n        pass\nheavy = {'numpy', "
        "'pandas', 'pyarrow', 'mesa', 'matplotlib', 'scipy', 'pydantic'}\nprint(sorted(heavy & "
        "set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_commands_that_build_no_model_never_load_mesa(tmp_path):
    """validate, parameters and import-log read schemas and logs only: Mesa (about a second of
    start-up, most of it networkx and scipy.spatial through mesa.discrete_space) stays unloaded."""
    cases = ROOT / "scenarios" / "jingxing_2019_cases.csv"
    code = (
        "import sys, contextlib, io\nfrom streetchief.cli import main\nfor argv in ("
        "['validate', 'jingxing_2019'], ['parameters'], "
        f"['import-log', {str(cases)!r}, '--out', {str(tmp_path / 'log.csv')!r}]):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n        code = main(argv)\n"
        "    print(argv[0], code, 'mesa' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.split("\n")[:3] == [
        "validate 0 False",
        "parameters 0 False",
        "import-log 0 False",
    ], out.stdout + out.stderr


def test_streetchief_imports_next_to_a_users_own_model_py(tmp_path):
    (tmp_path / "model.py").write_text("WHO = 'the user'\n", encoding="utf-8")
    code = "import model, streetchief as s; print(model.WHO, s.load_scenario('textbook_mmc').name)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "the user textbook_mmc", out.stderr


def test_every_name_the_plug_in_contract_documents_exists(jingxing):
    from streetchief.arrangements import base
    from streetchief.district import DistrictModel
    from streetchief.problems import Problems

    contract = base.__doc__.split("What an arrangement may use")[1]
    m = DistrictModel(jingxing, "street_chief", Problems.generate(jingxing, days=1))
    on_model = set(re.findall(r"model\.(\w+)", contract)) - {"issues"}
    on_issues = set(re.findall(r"(?:model\.issues|\s)\.(\w+)[\[(]", contract))
    assert {"at", "after", "acknowledge", "fix", "close", "rng", "departments"} <= on_model
    assert {"zone", "hop", "bounce", "coordinate", "column"} <= on_issues
    missing = [f"model.{n}" for n in on_model if not hasattr(m, n)]
    missing += [f"model.issues.{n}" for n in on_issues if not hasattr(m.issues, n)]
    assert not missing


def test_every_parameter_is_described():
    from streetchief.scenario import parameter_reference

    rows = parameter_reference()
    assert len(rows) > 80
    assert [path for path, _, _, text in rows if not text.strip()] == []


def test_the_reference_gives_each_arrangements_own_defaults():
    """`streetchief parameters` prints, for every arrangement's component, the value a scenario
    gets when it leaves that value out: what the shipped scenario's arrangements run with, for
    each value the file does not set (the hotline's patrol is off and by officers, though the
    patrol's own class has it on and by chiefs)."""
    from pydantic import BaseModel

    from streetchief import load_scenario
    from streetchief.arrangements import ARRANGEMENTS
    from streetchief.distributions import _Dist
    from streetchief.scenario import parameter_reference

    printed = {path: default for path, _, default, _ in parameter_reference()}
    scenario = load_scenario("jingxing_2019")
    checked = 0
    for arr, raw in scenario.arrangements.items():
        loaded = ARRANGEMENTS[arr].Params.model_validate(raw)  # as a run builds it
        for section, value in loaded:
            if not isinstance(value, BaseModel) or isinstance(value, _Dist):
                continue
            for key, v in value:
                if key in (raw.get(section) or {}):  # set by the file: not a default
                    continue
                shown = printed[f"arrangements.{arr}.{section}.{key}"]
                if isinstance(v, _Dist):
                    assert shown == v.model_dump_json(by_alias=True, exclude_defaults=False)
                else:
                    assert shown == (repr(v) if v not in ({}, [], "") else "—"), (arr, section, key)
                checked += 1
    assert checked >= 20
    assert printed["arrangements.hotline.patrol.enabled"] == "False"
    assert printed["arrangements.hotline.patrol.by"] == "'officers'"
