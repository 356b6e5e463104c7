"""Invariants: nothing lost, times ordered, same seed ⇒ same result, common random numbers."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from streetchief import run_scenario
from streetchief.cli import main
from streetchief.problems import Problems
from streetchief.records import COLUMNS

TIMES = ["reported_at", "acknowledged_at", "dispatched_at", "resolved_at", "closed_at"]


@pytest.fixture(scope="module")
def year(jingxing):
    return run_scenario(jingxing, keep_models=True)


def test_every_reported_issue_appears_once_per_arrangement(year):
    for name, table in year.tables.items():
        ids = table["issue_id"].to_numpy()
        assert len(ids) == len(np.unique(ids)), name
        m = year.models[name]
        reported = {i for i, t in enumerate(m.issues.reported_at) if t == t}
        assert set(ids.tolist()) == reported
        # every problem is accounted for: reported, left unreported in the street, fixed by its
        # merchant, or gone by itself before anyone reported it
        left = year.summaries[name]["unreported_problems"]
        assert len(ids) + left + m.self_fixed + len(m.expired_unreported) == len(m.problems)


def test_reported_equals_resolved_plus_open(year):
    for s in year.summaries.values():
        assert (
            s["issues_reported"]
            == s["issues_resolved"] + s["issues_ended_unfixed"] + s["issues_open"]
            > 0
        )
        assert s["issues_ended_unfixed"] == sum(s["ended_how"].values()) > 0
        for cat in s["by_category"].values():
            assert cat["resolved"] <= cat["reported"]
        assert sum(c["reported"] for c in s["by_category"].values()) == s["issues_reported"]


def _ordered(name, table, steps):
    t = np.column_stack([table[c].to_numpy() for c in steps])
    for a in range(len(steps) - 1):
        later = t[:, a + 1]
        happened = ~np.isnan(later)
        # a later step only happens after the earlier one, never before it
        assert not np.isnan(t[happened, a]).any(), (name, steps[a])
        assert (t[happened, a] <= later[happened] + 1e-9).all(), (name, steps[a], steps[a + 1])


def test_times_are_ordered(year):
    for name, table in year.tables.items():
        t = table.to_pandas()
        assert t.reported_at.notna().all() and (t.reported_at <= year.horizon).all()
        fixed = t.ended_how.isna()
        _ordered(name, t[fixed], TIMES)
        assert t[fixed].ended_at.isna().all()
        # ended without a fix: after its report, and before it is closed; closed at its taking on
        # (cancelled, nothing to do) or gone by itself at any time from its report on
        ended = t[~fixed]
        assert len(ended) and ended.resolved_at.isna().all(), name
        _ordered(name, ended, ["reported_at", "ended_at", "closed_at"])
        _ordered(name, ended, ["reported_at", "acknowledged_at", "dispatched_at", "closed_at"])
        taken = ended[ended.ended_how.isin(["cancelled", "no_action"])]
        assert len(taken) and (taken.ended_at == taken.dispatched_at).all(), name
        # coordinated on site after the answer and before the crew is sent
        on_site = t[t.coordinated_at.notna()]
        assert (on_site.coordinated == True).all()  # noqa: E712 (a column of booleans)
        _ordered(name, on_site, ["acknowledged_at", "coordinated_at", "dispatched_at"])


def test_both_arrangements_face_the_same_problems(jingxing):
    a = Problems.generate(jingxing, seed=11, days=30)
    b = Problems.generate(jingxing, seed=11, days=30)
    for f in ("time", "zone", "category", "work", "unclear", "report_u"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    res = run_scenario(jingxing, seed=11, days=30)
    sc, ml = res.tables["street_chief"], res.tables["multi_layer"]
    # issues both arrangements received carry the same time, zone and category
    common = np.intersect1d(sc["issue_id"].to_numpy(), ml["issue_id"].to_numpy())
    assert len(common) > 100
    for t in (sc, ml):
        by_merchant = t.to_pandas().query("discovered_by == 'merchant'")
        ids = by_merchant["issue_id"].to_numpy()
        np.testing.assert_allclose(by_merchant["reported_at"].to_numpy(), a.time[ids])
        assert (
            by_merchant["category"].astype(str).to_numpy()
            == np.array(list(jingxing.categories))[a.category[ids]]
        ).all()


def test_same_seed_same_parquet_different_seed_differs(tmp_path):
    for d, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert (
            main(
                [
                    "run",
                    "jingxing_2019",
                    "--days",
                    "20",
                    "--seed",
                    str(seed),
                    "--out",
                    str(tmp_path / d),
                    "--quiet",
                ]
            )
            == 0
        )
    a, b, c = (pq.read_table(tmp_path / d / "issues.parquet") for d in "abc")
    assert a.column_names[: len(COLUMNS)] == COLUMNS
    assert (tmp_path / "a" / "issues.parquet").read_bytes() == (
        tmp_path / "b" / "issues.parquet"
    ).read_bytes()
    pd.testing.assert_frame_equal(a.to_pandas(), b.to_pandas())
    assert len(a) != len(c) or not a.to_pandas().equals(c.to_pandas())


def test_summary_has_the_contracted_fields(tmp_path):
    import json

    assert main(["run", "textbook_mmc", "--days", "50", "--out", str(tmp_path), "--quiet"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["scenario"] == "textbook_mmc" and s["seed"] == 1 and "version" in s
    ml = s["arrangements"]["multi_layer"]
    for k in (
        "issues_reported",
        "issues_resolved",
        "issues_open",
        "on_time_share",
        "bounces_per_issue",
        "chief_hours",
        "unreported_problems",
    ):
        assert k in ml
    for k in ("resolution_hours", "acknowledgement_hours"):
        assert set(ml[k]) >= {"mean", "median", "p90", "p95"}


def test_summary_carries_a_scenario_that_reproduces_the_run(tmp_path):
    import json

    assert (
        main(["run", "jingxing_2019", "--days", "10", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    )
    spec = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))[
        "scenario_parameters"
    ]
    (tmp_path / "again.yaml").write_text(
        json.dumps(spec, ensure_ascii=False), encoding="utf-8"
    )  # JSON is YAML
    assert (
        main(
            [
                "run",
                str(tmp_path / "again.yaml"),
                "--days",
                "10",
                "--out",
                str(tmp_path / "b"),
                "--quiet",
            ]
        )
        == 0
    )
    assert (tmp_path / "a" / "issues.parquet").read_bytes() == (
        tmp_path / "b" / "issues.parquet"
    ).read_bytes()
