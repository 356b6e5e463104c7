"""Writes scenarios/jingxing_2019_cases.csv: the seed's cases within made-up background traffic.

The background (every row whose description starts with "background") is made up: the issues
jingxing_2019 generates for 21–29 October 2019 (seed 1023), with responses from one street-chief
run, rounded to the minute. The seed's own cases carry the times the report gives, and what the
report says of them (`unclear`: whose job it was; `work_hours`: crew hours on site), so that a
replay tells their story in every replication; the background leaves both to the seed's draws.
    .venv/bin/python scenarios/tools/make_seed_week.py
"""

from pathlib import Path

import pandas as pd

from streetchief import load_scenario, run_scenario

OUT = Path(__file__).resolve().parent.parent / "jingxing_2019_cases.csv"
START = pd.Timestamp("2019-10-14")
SEED_CASES = [
    dict(
        reported_at="2019-10-23 19:42",
        zone="nanwei_road",
        category="street_light",
        reporter="毛毛烟酒",
        acknowledged_at="2019-10-23 19:47",
        resolved_at="2019-10-24 07:30",
        department="streetlight_maker",
        unclear="false",  # [seed] 已联系厂家维修: the maker's job, no coordination needed
        work_hours=1.0,  # [assumption] a lamp replaced in an hour on site
        description="[seed] 南纬路口路灯坏了 (evening of 23 Oct); replied 已联系厂家维修 within "
        "moments; fixed early next morning (exact minutes assumed)",
    ),
    dict(
        reported_at="2019-10-28 23:00",
        zone="wangshe_wetland",
        category="trash_bins",
        reporter="湿地公园旁商户",
        acknowledged_at="2019-10-28 23:04",
        resolved_at="2019-10-29 09:00",
        closed_at="2019-10-29 09:05",
        department="sanitation",
        # [seed] 联系乡镇和社区负责人实地协商: whose bins these were to be was settled on site with
        # township and community, by the road's contracted unit (分包部门), not a chief
        unclear="true",
        work_hours=1.0,  # [assumption] talks on site and the bins placed, about an hour
        description="[seed] 新王舍湿地公园商铺旁能投放几个垃圾桶吗 at 23:00; 收到 at once; on site "
        "07:00 with township and community; bins placed 09:00; result posted in the group",
    ),
    dict(
        reported_at="2019-10-25 16:20",
        zone="pingshe_road",
        category="illegal_parking",
        reporter="pingshe_chief",
        discovered_by="chief",
        acknowledged_at="2019-10-25 16:20",
        resolved_at="2019-10-25 17:40",
        department="traffic_police",
        unclear="false",  # [seed] the traffic police's own enforcement
        description="[seed] 交警队继续部署警力对平涉路违停车辆进行整治 (date and times assumed)",
    ),
]


def main():
    s = load_scenario("jingxing_2019")
    res = run_scenario(s, ["street_chief"], seed=1023, days=30)  # long enough for every response
    t = res.tables["street_chief"].to_pandas()

    def when(col):
        return (START + pd.to_timedelta(t[col], unit="h")).dt.floor("min")

    bg = pd.DataFrame(
        {
            "reported_at": when("reported_at"),
            "zone": t.zone.astype(str),
            "category": t.category.astype(str),
            "reporter": t.reporter,
            "discovered_by": t.discovered_by.astype(str),
            "acknowledged_at": when("acknowledged_at"),
            "resolved_at": when("resolved_at"),
            "closed_at": when("closed_at"),
            "department": t.department.astype(str),
            "description": "background (made up)",
        }
    )
    bg = bg[(bg.reported_at >= "2019-10-21") & (bg.reported_at < "2019-10-30")]
    for c in ("acknowledged_at", "resolved_at", "closed_at"):  # minutes: never before the report
        bg[c] = bg[c].where(bg[c].isna() | (bg[c] >= bg.reported_at), bg.reported_at)
    seed = pd.DataFrame(SEED_CASES)
    for c in ("reported_at", "acknowledged_at", "resolved_at", "closed_at"):
        seed[c] = pd.to_datetime(seed[c])
    log = pd.concat([bg, seed], ignore_index=True).sort_values("reported_at", kind="stable")
    log.insert(1, "issue_id", [f"JX-{k:04d}" for k in range(1, len(log) + 1)])
    log["discovered_by"] = log.discovered_by.fillna("merchant")
    for c in ("reported_at", "acknowledged_at", "resolved_at", "closed_at"):
        log[c] = log[c].map(lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}")
    cols = [
        "reported_at",
        "issue_id",
        "zone",
        "category",
        "reporter",
        "discovered_by",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "department",
        "description",
        "unclear",
        "work_hours",
    ]
    log[cols].to_csv(OUT, index=False)
    print(f"wrote {len(log)} rows to {OUT}")


if __name__ == "__main__":
    main()
