"""Writes scenarios/megacity.yaml: a made-up megacity hotline year for the performance benchmarks.

Volume after Beijing's 12345 hotline (about 25 million requests in 2025: 68,500 a day); everything
else is a plausible assumption sized so that no queue grows without bound: 300 zones, 150
departments (crews for about 80% utilisation around the clock), 150 categories with a Zipf-like mix.
    .venv/bin/python scenarios/tools/make_megacity.py
"""

import math
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "megacity.yaml"
PER_DAY = 25_000_000 / 365
ZONES, DEPARTMENTS = 300, 150
TRAVEL, WORK = 0.5, 1.0  # hours, means


def main():
    weights = [1 / (k + 1) ** 0.8 for k in range(DEPARTMENTS)]
    rates = [PER_DAY * w / sum(weights) for w in weights]
    departments, categories = {}, {}
    for k, rate in enumerate(rates):
        load = rate / 24 * (TRAVEL + WORK * math.exp(0.5**2 / 2))  # busy crews on average
        departments[f"d{k:03d}"] = {
            "name": f"department {k}",
            "crews": math.ceil(load / 0.8) + 1,
            "calendar": "always",
            "travel": {"dist": "exponential", "mean": TRAVEL},
        }
        categories[f"c{k:03d}"] = {
            "name": f"request type {k}",
            "department": f"d{k:03d}",
            "rate_per_day": round(rate, 3),
            "work": {"dist": "lognormal", "median": WORK, "sigma": 0.5},
            "deadline_hours": 72,
            "unclear_share": 0.002,
            "profile": "daytime" if k % 3 else "flat",
        }
    zones = {
        f"z{k:03d}": {
            "name": f"street {k}",
            "merchants": 20,
            "weight": 1 + (k % 7),
            "liaison_group": f"g{k:03d}",
            "chief": f"s{k:03d}",
        }
        for k in range(ZONES)
    }
    per_hour = PER_DAY / 24

    def layer(name, mean):
        return {
            "name": name,
            "clerks": math.ceil(per_hour * mean * 1.12 / 0.8) + 2,
            "calendar": "always",
            "handling": {"dist": "exponential", "mean": mean},
            "misrouting": 0.05,
            "bounce_delay": {"dist": "exponential", "mean": 1.0},
        }

    scenario = {
        "name": "megacity",
        "description": "a made-up megacity hotline year: 25 million issues, 300 zones, 150 "
        "departments (benchmarks)",
        "run": {
            "start": "2025-01-01T00:00",
            "days": 365,
            "seed": 12345,
            "backlog_sample_hours": 24,
            "timezone": "Asia/Shanghai",
        },
        "calendars": {
            "always": {"always": True},
            "chief_duty": {
                "weekly": {
                    d: ["08:00-12:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")
                }
            },
        },
        "zones": zones,
        "chiefs": {f"s{k:03d}": {"calendar": "chief_duty"} for k in range(ZONES)},
        "liaison_groups": {f"g{k:03d}": {} for k in range(ZONES)},
        "departments": departments,
        "categories": categories,
        "arrivals": {
            "profiles": {
                "daytime": [
                    0.2,
                    0.1,
                    0.1,
                    0.1,
                    0.1,
                    0.2,
                    0.5,
                    1.0,
                    1.6,
                    2.0,
                    2.0,
                    1.8,
                    1.4,
                    1.4,
                    1.7,
                    1.8,
                    1.7,
                    1.5,
                    1.2,
                    1.0,
                    0.8,
                    0.6,
                    0.4,
                    0.3,
                ]
            }
        },
        "merchants": {"reporting": {"initial_willingness": 1.0, "adaptive": False}},
        "department_response": {
            "take_on": {"dist": "exponential", "mean": 0.5},
            "pass_back": {"dist": "exponential", "mean": 4.0},
        },
        "arrangements": {
            "street_chief": {
                "liaison_ack_day": {"dist": "lognormal", "median": 0.1, "sigma": 0.8},
                "liaison_ack_night": {"dist": "lognormal", "median": 0.25, "sigma": 0.8},
                "night": "22:00-07:00",
                "coordination": {
                    "by": "chief",
                    "hours": {"dist": "lognormal", "median": 1.0, "sigma": 0.5},
                },
                "feedback": {"dist": "lognormal", "median": 0.3, "sigma": 0.8},
                "patrol": {"enabled": False},
            },
            "multi_layer": {
                "layers": [
                    layer("hotline call centre", 0.08),
                    layer("district office", 0.1),
                    layer("department desk", 0.1),
                ],
                "department_calendar": "always",
                "escalate_after": 2,
            },
        },
    }
    header = "# " + __doc__.strip().replace("\n", "\n# ") + "\n"
    OUT.write_text(
        header + yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=120),
        encoding="utf-8",
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
