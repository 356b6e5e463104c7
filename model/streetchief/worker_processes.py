"""Worker processes that end with their coordinator: a sweep's, a calibration's, a comparison's.

Workers ignore Ctrl-C (it reaches the whole process group: the coordinator records the state and
ends them) and die when the coordinator dies, however it dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # Linux prctl: a signal for this process when its parent dies


def die_with(parent: int) -> None:
    """In a worker: end this process when `parent` (its coordinator) ends, however it ends,
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


def worker_start(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the coordinator records the state and ends the
    # workers, which would otherwise each print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with(parent)


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """`workers` processes, started with spawn (no inherited threads or locks), that ignore Ctrl-C
    and die with this process."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_start,
        initargs=(os.getpid(),),
    )


def end_workers(pool: ProcessPoolExecutor) -> None:
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
