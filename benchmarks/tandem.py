"""The reference network, four ways: our model, a hand-written heapq loop, SimPy and Ciw.

Poisson arrivals at 1 an hour, four stations in series, three servers each, exponential service with
mean 2.4 h (ρ = 0.8), around the clock: theory says 19.96 h from arrival to the end of the last
service. Ours is `scenarios/benchmark_tandem.yaml`. Each implementation must agree with the theory
(its mean time in system, with a 99.9% batch-means interval, covers 19.96 h) before its speed is
reported; then issues per second and our ratio to each.

    .venv/bin/python benchmarks/tandem.py [--issues 100000] [--ciw-issues 20000] [--repeat 3]

SimPy and Ciw are benchmark-only extras (`pip install -e '.[bench]'`); missing ones are skipped.
"""

from __future__ import annotations

import argparse
import heapq
import time
from collections import deque

import numpy as np
from scipy import stats

LAM, MEAN_SERVICE, SERVERS, STATIONS = 1.0, 2.4, 3, 4


def theory() -> float:
    from streetchief.theory import tandem_sojourn

    return tandem_sojourn([(SERVERS, 1 / MEAN_SERVICE)] * STATIONS, LAM)


def batch_ci(x: np.ndarray, batches: int = 20, level: float = 0.999, warmup: float = 0.05):
    x = x[int(len(x) * warmup) :]
    x = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    return x.mean(), stats.t.ppf(0.5 + level / 2, batches - 1) * x.std(ddof=1) / np.sqrt(batches)


# --- the four implementations: each returns the times in system, in order of arrival -----------
def ours(n: int, seed: int) -> np.ndarray:
    from streetchief import load_scenario, run_scenario

    s = load_scenario("benchmark_tandem", **{"run.days": n / LAM / 24})
    table = run_scenario(s, seed=seed).tables["multi_layer"]
    rep, res = table["reported_at"].to_numpy(), table["resolved_at"].to_numpy()
    return (res - rep)[~np.isnan(res)]


def heapq_loop(n: int, seed: int) -> np.ndarray:
    """The same network as a bare event loop: the practical speed limit for pure Python. Arrivals
    are scheduled one at a time, each by the one before (as the model and a peers_route-style loop
    do): a heap holding every arrival up front would be a different, slower-growing workload."""
    rng = np.random.default_rng(seed)
    arrive = np.cumsum(rng.exponential(1 / LAM, n)).tolist()
    service = rng.exponential(MEAN_SERVICE, (n, STATIONS)).tolist()
    free, queues = [SERVERS] * STATIONS, [deque() for _ in range(STATIONS)]
    heap = [(arrive[0], 0, 0, -1)] if n else []
    seq, out = n, [0.0] * n
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        t, _, i, k = pop(heap)
        if k >= 0:  # a service at station k ends
            if queues[k]:
                j = queues[k].popleft()
                seq += 1
                push(heap, (t + service[j][k], seq, j, k))
            else:
                free[k] += 1
            k += 1
            if k == STATIONS:
                out[i] = t - arrive[i]
                continue
        else:
            k = 0
            if i + 1 < n:  # the next arrival
                push(heap, (arrive[i + 1], i + 1, i + 1, -1))
        if free[k]:
            free[k] -= 1
            seq += 1
            push(heap, (t + service[i][k], seq, i, k))
        else:
            queues[k].append(i)
    return np.array(out)


def simpy_model(n: int, seed: int) -> np.ndarray:
    import simpy

    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / LAM, n).tolist()
    service = rng.exponential(MEAN_SERVICE, (n, STATIONS)).tolist()
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=SERVERS) for _ in range(STATIONS)]
    out = [0.0] * n

    def issue(i):
        born = env.now
        for k, station in enumerate(stations):
            with station.request() as req:
                yield req
                yield env.timeout(service[i][k])
        out[i] = env.now - born

    def source():
        for i in range(n):
            yield env.timeout(gaps[i])
            env.process(issue(i))

    env.process(source())
    env.run()
    return np.array(out)


def ciw_model(n: int, seed: int) -> np.ndarray:
    import ciw

    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAM)] + [None] * (STATIONS - 1),
        service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_SERVICE)] * STATIONS,
        number_of_servers=[SERVERS] * STATIONS,
        routing=[[1.0 if j == k + 1 else 0.0 for j in range(STATIONS)] for k in range(STATIONS)],
    )
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(n, method="Finish")
    recs = sim.get_all_records()
    arrival, leave = {}, {}
    for r in recs:
        if r.node == 1:
            arrival[r.id_number] = r.arrival_date
        if r.node == STATIONS:
            leave[r.id_number] = r.exit_date
    ids = sorted(i for i in leave if i in arrival)
    return np.array([leave[i] - arrival[i] for i in ids])


IMPLEMENTATIONS = {
    "streetchief": ours,
    "heapq loop": heapq_loop,
    "SimPy": simpy_model,
    "Ciw": ciw_model,
}


def run(n: int = 100_000, ciw_n: int = 20_000, repeat: int = 3, seed: int = 1) -> list[dict]:
    """Each implementation `repeat` times (Ciw once), interleaved round by round so that a busy
    spell of a shared machine falls on all of them; the best CPU and wall time of each."""
    best, missing = {}, set()
    for k in range(repeat):
        for name, fn in IMPLEMENTATIONS.items():
            if (name == "Ciw" and k) or name in missing:
                continue
            try:
                c0, t0 = time.process_time(), time.perf_counter()
                x = fn(ciw_n if name == "Ciw" else n, seed)
                cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            except ImportError:
                print(f"{name}: not installed, skipped (pip install -e '.[bench]')")
                missing.add(name)
                continue
            prev = best.get(name) or {"cpu": np.inf, "wall": np.inf, "x": x}
            best[name] = {"cpu": min(prev["cpu"], cpu), "wall": min(prev["wall"], wall), "x": x}
    w, rows = theory(), []
    for name, b in best.items():
        mean, half = batch_ci(b["x"])
        rows.append(
            {
                "implementation": name,
                "issues": int(len(b["x"])),
                "cpu_seconds": b["cpu"],
                "seconds": b["wall"],
                "issues_per_cpu_s": len(b["x"]) / b["cpu"],
                "issues_per_s": len(b["x"]) / b["wall"],
                "mean_time_in_system_h": float(mean),
                "ci_half_h": float(half),
                "agrees_with_theory": abs(float(mean) - w) <= half,
            }
        )
    return rows


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--issues", type=int, default=100_000)
    p.add_argument(
        "--ciw-issues", type=int, default=20_000, help="Ciw is slow: fewer issues (default 20000)"
    )
    p.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    args = p.parse_args()
    rows = run(args.issues, args.ciw_issues, args.repeat)
    report(rows)


def report(rows: list[dict]) -> None:
    w = theory()
    bad = [r for r in rows if not r["agrees_with_theory"]]
    print(f"theory: {w:.2f} h in system")
    for r in rows:
        print(
            f"  {r['implementation']:12s} {r['mean_time_in_system_h']:6.2f} ± {r['ci_half_h']:.2f} "
            f"h ({r['issues']} issues)"
        )
    if bad:
        raise SystemExit(
            "disagree with the theory, no timing reported: "
            f"{', '.join(r['implementation'] for r in bad)}"
        )
    ours = next(r for r in rows if r["implementation"] == "streetchief")
    print(
        f"{'implementation':14s} {'issues/CPU s':>13s} {'issues/s wall':>14s} "
        f"{'streetchief ÷ it (CPU)':>23s}"
    )
    for r in rows:
        r["ratio_ours_to_it"] = ours["issues_per_cpu_s"] / r["issues_per_cpu_s"]
        print(
            f"{r['implementation']:14s} {r['issues_per_cpu_s']:13,.0f} {r['issues_per_s']:14,.0f} "
            f"{r['ratio_ours_to_it']:23.2f}"
        )


if __name__ == "__main__":
    main()
