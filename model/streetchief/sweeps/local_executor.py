"""The local executor: worker processes on this machine (or this process alone, with one worker)."""

from __future__ import annotations

import os
from concurrent.futures import as_completed
from concurrent.futures.process import BrokenProcessPool

from streetchief.errors import SweepError
from streetchief.sweeps.task import run_task
from streetchief.worker_processes import end_workers, worker_pool

MAX_POOL_RESTARTS = 10  # new workers after one dies, this many times per start


def execute_local(todo, args, workers: int | None, source: str):
    """Yields ((point, replication), result) as tasks finish; args(p, r) gives run_task's."""
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for p, r in todo:
            yield (p, r), run_task(*args(p, r))
        return
    remaining, restarts = dict.fromkeys(todo), 0
    while remaining:
        with worker_pool(workers) as pool:
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
                end_workers(pool)
                raise
