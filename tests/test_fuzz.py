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


@pytest.mark.slow
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


# --- clock times, deep nesting, mixed sweep values --------------------------------------------
JINGXING = yaml.safe_load((ROOT / "scenarios" / "jingxing_2019.yaml").read_text(encoding="utf-8"))
plausible_clock = st.builds(
    "{:02d}:{:02d}".format, st.integers(0, 24), st.sampled_from([0, 15, 30, 59, 60])
)
clock = st.one_of(
    plausible_clock,
    plausible_clock,
    plausible_clock,
    st.builds("{:02d}:{:02d}".format, st.integers(0, 99), st.integers(0, 99)),
    st.sampled_from(["24:00", "00:00", "7:30", "24:01", "-1:00", "12:60", "１２:００", "12:5"]),
    st.text(max_size=6),
)


def _clock_ok(text: str) -> bool:
    """The rule, stated apart from the code: HH:MM (or H:MM), 00:00 to 24:00, ASCII digits."""
    m = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", text.strip())
    return bool(m) and (int(m[1]), int(m[2])) <= (24, 0) and int(m[2]) < 60


@FUZZ
@given(a=clock, b=clock, c=clock, d=clock)
def test_clock_times_are_checked_like_the_rule_says(a, b, c, d):
    raw = copy.deepcopy(JINGXING)
    raw["calendars"]["office"]["weekly"]["mon"] = [f"{a}-{b}"]
    raw["arrangements"]["street_chief"]["night"] = f"{c}-{d}"
    try:
        load_scenario(raw)
        valid = True
        _record("clock times", None)
    except ScenarioError as e:
        valid = False
        _record("clock times", e)
    pattern = r"[0-9]{2}:[0-9]{2}"  # the night's own pattern: two digits each
    office = _clock_ok(a) and _clock_ok(b) and _hours(a) < _hours(b)
    night = all(re.fullmatch(pattern, x) and _clock_ok(x) for x in (c, d)) and _hours(c) != _hours(
        d
    )
    assert valid == (office and night), (a, b, c, d)


def _hours(text: str) -> float:
    h, m = text.strip().split(":")
    return int(h) + int(m) / 60


@st.composite
def deeply_nested(draw):
    depth = draw(st.one_of(st.integers(1, 80), st.integers(80, 1500)))
    kind = draw(st.sampled_from(["flow_list", "flow_map", "block"]))
    if kind == "flow_list":
        value = "[" * depth + "1" + "]" * depth
    elif kind == "flow_map":
        value = "{a: " * depth + "1" + "}" * depth
    else:
        value = (
            "\n"
            + "".join("  " * (k + 1) + "a:\n" for k in range(min(depth, 400)))
            + "  " * (min(depth, 400) + 1)
            + "b: 1"
        )
    where = draw(st.sampled_from(["description", "holidays", "extra"]))
    # how deep its innermost value sits, the file's top level being level 1
    levels = depth + 2 if kind != "block" else min(depth, 400) + 3
    return f"{where}: {value}\n", levels


@pytest.mark.slow
@settings(FUZZ, max_examples=40)
@given(case=deeply_nested())
def test_deeply_nested_files_are_refused_with_our_error(tmp_path, case):
    """Never a RecursionError: past 64 levels our error says so; below, the usual checks."""
    piece, levels = case
    text = SCENARIO_TEXT.replace("description:", "old_description:", 1) + piece
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "description": "x"}).replace("description: x\n", piece))
    for name, load, error in (
        ("scenario", load_scenario, ScenarioError),
        ("spec", load_sweep, SweepError),
    ):
        with pytest.raises(error) as e:  # a nested description, holiday or key is never valid
            load(path if name == "scenario" else spec)
        _record(f"nesting (bytes, {name})", e.value)
        assert ("nested deeper than 64" in str(e.value)) == (levels > 64), (levels, str(e.value))


sweep_value = st.one_of(
    st.integers(-3, 6),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.booleans(),
    st.none(),
    st.sampled_from(["2", "three", "=1+1", ""]),
    st.dictionaries(st.sampled_from(["dist", "mean"]), st.integers(0, 3), max_size=2),
    st.lists(st.integers(0, 3), max_size=2),
)


@FUZZ
@given(
    crews=st.lists(sweep_value, min_size=1, max_size=5),
    rates=st.lists(sweep_value, min_size=1, max_size=4),
)
def test_mixed_sweep_values_are_refused_before_running_or_merge(crews, rates):
    """A spec that loads gives parts that gather into one table; otherwise our error."""
    import pyarrow as pa

    from streetchief.sweeps.runner import _task_table

    spec = {
        **SPEC,
        "levers": {"departments.d.crews": {"values": crews}},
        "uncertainties": {"categories.k.rate_per_day": {"values": rates}},
    }
    try:
        sw = load_sweep(spec)
    except SweepError as e:
        _record("sweep values", e)
        return
    _record("sweep values", sw)
    result = {"rows": None, "error": "not run", "seconds": 0.0}
    parts = [_task_table(sw, p, r, result, ["resolution_mean_h"]) for p, r in sw.tasks]
    merged = pa.concat_tables([t.replace_schema_metadata(None) for t in parts])
    assert merged.num_rows == len(sw.tasks) * len(sw.spec.arrangements)
    assert len({t.schema.remove_metadata() for t in parts}) == 1


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
