"""The local executor: worker processes on this machine (or this process alone, with one worker)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from streetchief.errors import SweepError
from streetchief.sweeps.task import run_task

MAX_POOL_RESTARTS = 10  # new workers after one dies, this many times per start
PR_SET_PDEATHSIG = 1  # Linux prctl: a signal for this process when its parent dies


def die_with(parent: int) -> None:
    """In a worker: end this process when `parent` (the sweep's coordinator) ends, however it ends,
    SIGKILL included. Linux delivers SIGKILL on the parent's death (prctl); elsewhere, and should
    the parent already be gone, a thread watches the parent's pid."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _worker_start(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the coordinator records the state and ends the
    # workers, which would otherwise each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with(parent)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's processes now, rather than wait for the tasks they are running."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        try:
            p.kill()
        except (OSError, AttributeError, ValueError):
            pass
    for p in processes:
        try:
            p.join(5)
        except (OSError, AttributeError, ValueError, AssertionError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def execute_local(todo, args, workers: int | None, source: str):
    """Yields ((point, replication), result) as tasks finish; args(p, r) gives run_task's."""
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for p, r in todo:
            yield (p, r), run_task(*args(p, r))
        return
    ctx = multiprocessing.get_context("spawn")  # no inherited threads or locks
    remaining, restarts = dict.fromkeys(todo), 0
    while remaining:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_worker_start,
            initargs=(os.getpid(),),
        ) as pool:
            futures = {pool.submit(run_task, *args(p, r)): (p, r) for p, r in remaining}
            try:
                for f in as_completed(futures):
                    result = f.result()
                    del remaining[futures[f]]
                    yield futures[f], result
            except BrokenProcessPool:
                # a worker died (killed, out of memory): start new workers for the
                # tasks not yet done
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise SweepError(
                        source,
                        [
                            f"worker processes died {restarts} times; the runs finished so far are "
                            "kept: start the same sweep again to do the rest"
                        ],
                    ) from None
            except BaseException:  # interrupted (Ctrl-C, SIGTERM), or the caller stopped early
                for f in futures:
                    f.cancel()
                _end_workers(pool)
                raise
