"""Process hygiene: no process outlives its command. A sweep's coordinator killed by any signal
takes its workers with it (a caller capturing its output does not hang), SIGTERM is handled like
Ctrl-C, and the local Dask cluster listens on localhost only, with no HTTP routes."""

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest
import yaml

from streetchief import sweep

SPEC = {
    "name": "kill",
    "scenario": "jingxing_2019",
    "days": 300,
    "replications": 20,
    "design": "grid",
    "levers": {"departments.sanitation.crews": {"values": [2, 5]}},
    "outcomes": ["resolution_mean_h"],
}


def _survivors(procs, wait=10.0):
    deadline = time.time() + wait
    while time.time() < deadline:
        alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.2)
    return [(p.pid, " ".join(p.cmdline())[:80]) for p in alive]


def _start(tmp_path, *wrap, executor="local"):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    cmd = [*wrap, sys.executable, "-m", "streetchief", "sweep", str(spec), "--workers", "2"]
    cmd += ["--executor", executor, "--out", str(tmp_path / "out"), "--quiet"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = []
    for _ in range(300):  # until the coordinator has its workers and they are working
        time.sleep(0.1)
        try:
            workers = psutil.Process(p.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        if len(workers) >= 3 and any(tmp_path.glob("out/runs/*.parquet")):
            break
    assert len(workers) >= 2, "the workers did not start"
    return p, workers


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP])
def test_killing_the_coordinator_leaves_no_worker_alive(tmp_path, sig):
    p, workers = _start(tmp_path)
    coordinator = psutil.Process(p.pid)
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)  # returns: no worker holds the pipes open
    assert not _survivors([coordinator, *workers])
    if sig != signal.SIGKILL:  # handled like Ctrl-C: state recorded, our own message
        assert p.returncode == (143 if sig == signal.SIGTERM else 130), err
        assert "nothing half-written" in err and "Traceback" not in err, err
        meta = json.loads((tmp_path / "out" / "sweep.json").read_text())
        assert meta["status"] == "interrupted" and meta["runs_done"] > 0


@pytest.mark.slow
def test_timeout_on_a_sweep_leaves_no_worker_and_does_not_hang_its_caller(tmp_path):
    t0 = time.time()
    r = subprocess.run(
        ["timeout", "-s", "KILL", "6", sys.executable, "-m", "streetchief", "sweep"]
        # a sweep of about 25 s on 2 cores: still running when the 6 s are up
        + [str(_spec(tmp_path, replications=80)), "--workers", "2", "--out", str(tmp_path / "o")]
        + ["--quiet"],
        capture_output=True,
        timeout=60,
    )
    assert r.returncode in (137, -9) and time.time() - t0 < 30  # timeout kills its group
    mine = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(tmp_path) in " ".join(p.info["cmdline"] or []) or _spawned_by_a_dead_sweep(p)
    ]
    assert not _survivors(mine)


def _spec(tmp_path, **changes):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, **changes}), encoding="utf-8")
    return spec


def _spawned_by_a_dead_sweep(p) -> bool:
    """A pool worker of this checkout whose parent is gone (reparented to init)."""
    try:
        cmd = " ".join(p.cmdline())
        return (
            "multiprocessing" in cmd
            and sys.prefix in cmd
            and p.ppid() == 1
            and (time.time() - p.create_time() < 20)
        )
    except psutil.Error:
        return False


@pytest.mark.slow
def test_a_killed_dask_coordinator_leaves_no_worker_alive(tmp_path):
    p, workers = _start(tmp_path, executor="dask")
    coordinator = psutil.Process(p.pid)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=60)
    assert not _survivors([coordinator, *workers], wait=20)


@pytest.mark.slow
def test_the_local_dask_cluster_listens_on_localhost_only_without_http_routes(tmp_path):
    seen = {}

    def look(done, total):
        if seen or not done:
            return
        seen.update(_listening())

    spec = {**SPEC, "days": 2, "replications": 2}
    res = sweep(spec, tmp_path / "out", executor="dask", workers=2, progress=look)
    assert res.failed == 0 and seen
    assert {ip for ip, _ in seen} == {"127.0.0.1"}, seen
    assert all(status != 200 for status in seen.values()), seen  # no /info, no /proxy


def _listening() -> dict:
    """(ip, port) → HTTP status, for every socket this process and its children listen on."""
    me, seen = psutil.Process(), {}
    for proc in [me, *me.children(recursive=True)]:
        for c in proc.net_connections(kind="inet"):
            if c.status == psutil.CONN_LISTEN:
                seen[(c.laddr.ip, c.laddr.port)] = _http_status(c.laddr.ip, c.laddr.port)
    return seen


def _http_status(ip, port):
    statuses = []
    for path in ("/info/main/workers.html", "/proxy/8787/127.0.0.1/status", "/json/identity.json"):
        try:
            statuses.append(urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=2).status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)
        except OSError:  # TLS, or no HTTP at all
            statuses.append(None)
    return 200 if 200 in statuses else statuses[0]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_a_calibrating_coordinator_leaves_no_worker_alive(tmp_path, sig):
    """pyabc forks its workers: they end with the coordinator, SIGKILL included, and a SIGTERM
    gives our message, not a traceback from each worker."""
    from streetchief import load_scenario
    from streetchief.calibration.synthetic import simulated_log
    from streetchief.issue_log import write_log

    log = tmp_path / "log.csv"
    write_log(simulated_log(load_scenario("jingxing_2019"), "hotline", seed=5, days=40), log)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "parameters": {"department_response.take_on.median": {"low": 0.25, "high": 32}},
                "population_size": 400,  # long enough to be killed while it searches
                "generations": 5,
                "draws": 2,
            }
        )
    )
    cmd = [sys.executable, "-m", "streetchief", "calibrate", "jingxing_2019", "--log", str(log)]
    cmd += ["--arrangement", "hotline", "--spec", str(spec), "--workers", "2", "--quiet"]
    p = subprocess.Popen(
        [*cmd, "--out", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers = []
    for _ in range(600):  # until pyabc's workers are there
        time.sleep(0.1)
        try:
            workers = psutil.Process(p.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        if len(workers) >= 2:
            break
    assert len(workers) >= 2, "the workers did not start"
    coordinator = psutil.Process(p.pid)
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    assert not _survivors([coordinator, *workers])
    if sig == signal.SIGTERM:
        assert p.returncode == 143 and "Traceback" not in err, err


@pytest.mark.slow
def test_a_calibrations_dask_cluster_is_secured_like_a_sweeps(tmp_path):
    """Localhost only, TLS (a plain client cannot join it and run code), no HTTP routes."""
    from streetchief import load_scenario
    from streetchief.calibration import calibrate
    from streetchief.calibration.synthetic import simulated_log
    from streetchief.issue_log import read_log, write_log

    s = load_scenario("jingxing_2019")
    write_log(simulated_log(s, "hotline", seed=5, days=10), tmp_path / "log.csv")
    log = read_log(tmp_path / "log.csv", s)
    seen, plain = {}, []

    def look(done, total):
        if seen:
            return
        seen.update(_listening())
        for c in psutil.Process().net_connections(kind="inet"):  # the scheduler: this process
            if c.status == psutil.CONN_LISTEN:
                address = f"tcp://127.0.0.1:{c.laddr.port}"
                probe = f"from distributed import Client; Client({address!r}, timeout=3)"
                try:
                    r = subprocess.run(
                        [sys.executable, "-c", probe], capture_output=True, timeout=8
                    )
                except subprocess.TimeoutExpired:
                    continue  # never let in
                if r.returncode == 0:
                    plain.append(c.laddr.port)

    spec = {
        "parameters": {"department_response.take_on.median": {"low": 0.25, "high": 32}},
        "population_size": 6,
        "generations": 1,
        "draws": 2,
    }
    calibrate("jingxing_2019", log, "hotline", spec, tmp_path / "out", "dask", 2, progress=look)
    assert seen and {ip for ip, _ in seen} == {"127.0.0.1"}, seen
    assert all(status != 200 for status in seen.values()), seen
    assert not plain, f"a plain TCP client joined on {plain}"
