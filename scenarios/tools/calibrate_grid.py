"""The grid's share of the public's reports, fitted so that its supervisors find a published share
of cases.

Published grid cities find most cases by patrol: 95.7% in Tianmen (2016), 97.6% in Kunming (2024)
(../shared/CALIBRATION.md); the rest come from the public. In the model every problem is seen by
its merchant (and perhaps by residents and passers-by) at once, so the share found by patrol
depends on what share of those reports reach the grid's own channel (`hears`). This finds, by
bisection, the share (the same for merchants, residents and passers-by) at which a year of
`jingxing_2019` under grid management has supervisors finding the middle of the published range,
averaged over three seeds, and prints it with the share each seed gives:
    .venv/bin/python scenarios/tools/calibrate_grid.py
"""

import numpy as np

from streetchief import load_scenario, run_scenario

TARGET = (0.957 + 0.976) / 2  # Tianmen and Kunming
SEEDS = (1, 2, 3)


def patrol_shares(reach: float) -> list[float]:
    s = load_scenario("jingxing_2019")
    hears = dict.fromkeys(s.arrangement_params("grid").hears, reach)
    s = load_scenario("jingxing_2019", **{"arrangements.grid.hears": hears})
    shares = []
    for seed in SEEDS:
        t = run_scenario(s, ["grid"], seed=seed).tables["grid"]
        found = t["discovered_by"].to_numpy(zero_copy_only=False)
        shares.append(float((found == "patrol").mean()))
    return shares


def main() -> None:
    lo, hi = 0.0, 0.2
    for _ in range(10):
        mid = (lo + hi) / 2
        if np.mean(patrol_shares(mid)) > TARGET:
            lo = mid
        else:
            hi = mid
    reach = round((lo + hi) / 2, 3)
    shares = patrol_shares(reach)
    print(
        f"hears {reach}: supervisors find {', '.join(f'{x:.3f}' for x in shares)} of cases "
        f"(seeds {', '.join(map(str, SEEDS))}; target {TARGET:.4f})"
    )


if __name__ == "__main__":
    main()
