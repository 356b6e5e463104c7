"""The Dask executor: a local cluster of worker processes, or a running cluster.

The local cluster is for this sweep alone: it listens on 127.0.0.1 only, its connections use TLS
with a throwaway certificate held by this process (so another user of a shared host cannot submit
code to it), and it serves no HTTP routes (no dashboard, no /info, no /proxy). Its workers exit
when this process does. A cluster given by address (`--scheduler`) is secured by whoever runs it.
"""

from __future__ import annotations

import os

from streetchief.errors import SweepError
from streetchief.sweeps.task import run_task

LOCAL_ONLY = {  # no HTTP routes on the scheduler, the nannies or the workers
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
    "distributed.nanny.http.routes": [],
}


def secure_local_cluster(workers: int | None, silence_logs: int = 40):
    """(client, cluster): a local cluster for this process alone, as the module says (localhost,
    TLS with a throwaway certificate, no HTTP routes); sweeps and calibration use it alike."""
    import dask
    from distributed import Client, LocalCluster
    from distributed.security import Security

    security = Security.temporary()
    with dask.config.set(LOCAL_ONLY):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls://",
            security=security,
            dashboard_address=None,
            silence_logs=silence_logs,
        )
        return Client(cluster, security=security), cluster


def execute_dask(todo, args, workers: int | None, scheduler: str | None):
    """Yields ((point, replication), result) as tasks finish; args(p, r) gives run_task's."""
    from distributed import Client, as_completed

    cluster = None
    if scheduler is None:
        client, cluster = secure_local_cluster(workers)
    else:
        try:
            client = Client(scheduler, timeout=20)
        except OSError as e:
            raise SweepError(scheduler, [f"cannot reach the Dask scheduler ({e})"]) from None
    try:
        futures = {
            client.submit(run_task, *args(p, r), pure=False, retries=2): (p, r) for p, r in todo
        }
        resubmitted: dict = {}
        done = as_completed(futures)
        for f in done:
            key = futures.pop(f)
            try:
                result = f.result()
            except Exception as e:
                # run_task records its own errors, so this is the cluster: a
                # result lost with its worker, or
                # workers that kept dying (KilledWorker). Submit again, then
                # record it (retried next start).
                resubmitted[key] = resubmitted.get(key, 0) + 1
                if resubmitted[key] <= 3:
                    again = client.submit(run_task, *args(*key), pure=False, retries=2)
                    futures[again] = key
                    done.add(again)
                    continue
                result = {
                    "rows": None,
                    "error": f"{type(e).__name__}: {e}",
                    "seconds": 0.0,
                    "issues": None,
                }
            yield key, result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
