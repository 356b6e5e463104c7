"""What decides street chiefs against the hotline: one setting at a time from the defaults.

Each row changes the scenario as its settings say (the same `--set` paths as the command line) and
compares street chiefs with the hotline alone over 10 paired replications of a year: the paired
difference in mean hours to resolution on the problems both reported and fixed, and in
problem-hours a day in the street, each with its 95% interval over the replications (random
variation only). The README's table is this script's output (tests/test_symmetry.py checks it):
    .venv/bin/python scenarios/tools/what_decides.py
"""

from streetchief import compare, load_scenario

SC, HL = "arrangements.street_chief", "arrangements.hotline"
SETTINGS = {
    "the defaults": {},
    "departments on their own crews' hours under both": {
        f"{SC}.department_calendar": "own",
        f"{HL}.department_calendar": "own",
    },
    "chiefs coordinate unclear issues themselves, in 12 duty hours a week": {
        f"{SC}.coordination.by": "chief"
    },
    "no engagement decay on either side": {
        f"{SC}.engagement.enabled": False,
        f"{HL}.engagement.enabled": False,
    },
    "nothing misclaimed or misrouted on either side": {
        f"{SC}.misclaim": 0.0,
        f"{HL}.misrouting": 0.0,
    },
    "the hotline's side patrols too": {f"{HL}.patrol.enabled": True},
    "the chiefs do not patrol": {f"{SC}.patrol.enabled": False},
    "nobody but merchants reports": {
        "observers.residents.expected": 0.0,
        "observers.passers_by.expected": 0.0,
    },
}
OUTCOMES = ("resolution_common_mean_h", "problem_hours_per_day")
REPLICATIONS = 10


def _number(x: float) -> str:
    text = f"{abs(x):,.2f}" if abs(x) < 100 else f"{abs(x):,.0f}"
    return ("−" if x < 0 and text.strip("0.,") else "+" if x > 0 else "") + text


def _cell(row) -> str:
    return (
        f"{_number(row.difference)} "
        f"[{_number(row.ci_low).lstrip('+')}, {_number(row.ci_high).lstrip('+')}]"
    )


def row(label: str, replications: int = REPLICATIONS) -> str:
    s = load_scenario("jingxing_2019", **SETTINGS[label])
    c = compare(
        s, replications=replications, arrangements=["street_chief", "hotline"], baseline="hotline"
    )
    p = c.paired.set_index("outcome")
    return f"| {label} | " + " | ".join(_cell(p.loc[k]) for k in OUTCOMES) + " |"


def table() -> str:
    head = "| setting | speed, same problems (h) | problem-hours a day |\n|---|---:|---:|"
    return "\n".join([head, *(row(label) for label in SETTINGS)])


if __name__ == "__main__":
    print(table())
