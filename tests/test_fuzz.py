"""Fuzzed inputs: mutations of valid scenario files, sweep specs and issue logs give either a valid
object or our own clear error, never an unhandled exception. Each test records how many cases it ran
and how many distinct error messages they reached (printed with `pytest -s tests/test_fuzz.py`)."""

import copy
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streetchief import load_scenario
from streetchief.issue_log import IssueLogError, read_log
from streetchief.scenario import ScenarioError
from streetchief.sweeps import SweepError, load_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_TEXT = (ROOT / "scenarios" / "textbook_mmc.yaml").read_text(encoding="utf-8")
SCENARIO = yaml.safe_load(SCENARIO_TEXT)
LOG_TEXT = (
    "\n".join(
        (ROOT / "scenarios" / "jingxing_2019_cases.csv")
        .read_text(encoding="utf-8")
        .splitlines()[:12]
    )
    + "\n"
)
SPEC = {
    "name": "fuzz",
    "scenario": "textbook_mmc",
    "days": 2,
    "replications": 2,
    "design": "grid",
    "arrangements": ["multi_layer"],
    "levers": {"departments.d.crews": {"low": 1, "high": 3, "levels": 2, "integer": True}},
}
# derandomize: the same cases on every run, so that CI is reproducible
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TALLY = defaultdict(lambda: {"cases": 0, "valid": 0, "messages": set()})

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(
        ["", "0", "-1", "1e308", "nan", "08:30-07:00", "fixed", "2019-02-30", "../../etc"]
    ),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, prefix + (k,))


@st.composite
def mutated(draw, doc):
    """Replace, delete or add at random places of a parsed document."""
    doc = copy.deepcopy(doc)
    paths = [p for p in _paths(doc) if p]
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        parent = doc
        try:
            for k in path[:-1]:
                parent = parent[k]
        except (KeyError, IndexError, TypeError):
            continue
        action = draw(
            st.sampled_from(["replace", "delete", "add", "keep", "keep"])
        )  # some cases stay valid
        try:
            if action == "replace":
                parent[path[-1]] = draw(junk)
            elif action == "delete":
                del parent[path[-1]]
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(junk)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@st.composite
def mangled_text(draw, text):
    """Byte-level damage: truncation, insertion, junk, other encodings, a 1 MB line, nothing."""
    kind = draw(
        st.sampled_from(
            ["truncate", "insert", "binary", "utf16", "latin1", "huge_line", "empty", "bom"]
        )
    )
    data = text.encode("utf-8")
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=300))
    if kind == "utf16":
        return text.encode("utf-16")
    if kind == "latin1":
        return text.replace("路", "é").encode("latin-1", errors="replace")
    if kind == "huge_line":
        return data + b"x" * 1_000_000 + b"\n"
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    return b""


def _record(name, outcome):
    t = TALLY[name]
    t["cases"] += 1
    if isinstance(outcome, Exception):
        # the message's shape, without the values: which path and what kind of problem
        first = str(outcome).split("\n")[1] if "\n" in str(outcome) else str(outcome)
        t["messages"].add(re.sub(r"'[^']*'|\d+(\.\d+)?|got .*", "…", first.split(":", 1)[-1])[:80])
    else:
        t["valid"] += 1


def _scenario_case(tmp_path, data: bytes, name="fuzz"):
    path = tmp_path / "s.yaml"
    path.write_bytes(data)
    try:
        _record(name, load_scenario(path))
    except ScenarioError as e:
        assert str(e).startswith(str(path)), e
        _record(name, e)


@FUZZ
@given(doc=mutated(SCENARIO))
def test_mutated_scenarios_load_or_say_what_is_wrong(tmp_path, doc):
    _scenario_case(
        tmp_path, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"), "scenario (structure)"
    )


@FUZZ
@given(data=mangled_text(SCENARIO_TEXT))
def test_damaged_scenario_files_load_or_say_what_is_wrong(tmp_path, data):
    _scenario_case(tmp_path, data, "scenario (bytes)")


@FUZZ
@given(doc=mutated(SPEC))
def test_mutated_sweep_specs_load_or_say_what_is_wrong(tmp_path, doc):
    try:
        _record("sweep spec", load_sweep(doc))
    except SweepError as e:
        _record("sweep spec", e)


@FUZZ
@given(data=st.one_of(mangled_text(yaml.safe_dump(SPEC)), st.just(b"name: [unclosed")))
def test_damaged_sweep_spec_files_load_or_say_what_is_wrong(tmp_path, data):
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    try:
        _record("sweep spec (bytes)", load_sweep(path))
    except SweepError as e:
        _record("sweep spec (bytes)", e)


@st.composite
def mutated_log(draw):
    rows = [line.split(",") for line in LOG_TEXT.strip().splitlines()]
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(["cell", "drop_column", "add_column", "duplicate", "swap", "quote"])
        )
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, len(rows[0]) - 1))
        if kind == "cell" and c < len(rows[r]):
            rows[r][c] = draw(
                st.one_of(
                    st.text(max_size=20).map(lambda s: s.replace("\n", " ")),
                    st.sampled_from(
                        [
                            "",
                            "2019-13-45 25:61",
                            "NaN",
                            "-1e308",
                            "１２:００",
                            "2019-10-23T19:42:00+25:00",
                            "Main St",
                            '"',
                        ]
                    ),
                )
            )
        elif kind == "drop_column":
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif kind == "add_column":
            rows = [row + ["extra"] for row in rows]
        elif kind == "duplicate" and r:
            rows.insert(r, list(rows[r]))
        elif kind == "swap" and r > 1:
            rows[r], rows[r - 1] = rows[r - 1], rows[r]
        elif kind == "quote":
            rows[r][c % len(rows[r])] = '"' + rows[r][c % len(rows[r])]
    return ("\n".join(",".join(row) for row in rows) + "\n").encode("utf-8")


@FUZZ
@given(data=st.one_of(mutated_log(), mangled_text(LOG_TEXT)), skip=st.booleans())
def test_mutated_issue_logs_read_or_say_what_is_wrong(tmp_path, jingxing, data, skip):
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    try:
        log = read_log(path, jingxing, skip_invalid=skip)
        _record("issue log", log)
        if skip and b'"' not in data and b"\r" not in data:
            # nothing lost without a trace: every data line is either read or rejected
            # with its reason
            lines = [ln for ln in data.decode("utf-8-sig").split("\n")[1:] if ln.strip(",")]
            assert len(log) + len(log.rejected) == len(lines), (
                len(log),
                len(log.rejected),
                len(lines),
            )
            assert log.rejected.empty or log.rejected.reason.notna().all()
    except IssueLogError as e:
        assert str(e).startswith(str(path)), e
        _record("issue log", e)


def test_report_fuzzing_counts():
    """Runs last in this file: how many cases, how many distinct messages."""
    if not TALLY:
        pytest.skip("run with the other fuzz tests")
    for name, t in sorted(TALLY.items()):
        print(
            f"{name:22s} {t['cases']:5d} cases, {t['valid']:4d} valid, {len(t['messages']):4d} "
            "distinct errors"
        )
        assert t["cases"] > 0
        if "bytes" not in name:
            assert t["valid"] > 0, (
                name
            )  # the mutations are not all fatal: the valid path is exercised too
    assert (
        sum(len(t["messages"]) for t in TALLY.values()) >= 20
    )  # the mutations reach many error paths
