#!/usr/bin/python3
"""Dask distributed baseline for Granary's benchmark rows (benchmarks/Granary.Benchmarks).

Each row does the work of the Granary row of the same name, which does the work of Ray's
`ray microbenchmark` row of that name (python/ray/_private/ray_perf.py), on a Dask LocalCluster of
2 worker processes x 1 thread over loopback. Rows Dask has no counterpart for (placement groups,
multi-client, 1:n and n:n actor calls, objects holding refs, the million-task row) are absent.

Output: one JSON object on stdout's last line,
  {"versions": {...}, "workers": "...", "rows": {"<row>": {"unit", "median", "min", "max"}}}
Progress goes to stderr.

Needs Debian's packages (use /usr/bin/python3; another python3 on PATH may lack them):
  apt-get install -y python3-distributed python3-numpy

Usage: /usr/bin/python3 benchmarks/dask/dask_baseline.py [--reps N] [--quick] [--only PREFIX]
"""
import argparse
import json
import statistics
import sys
import time


def noop(_=None):
    return 0


class Pinger:
    def ping(self):
        return 0


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def timed(work):
    """Runs work() and returns (seconds, amount it reports)."""
    started = time.perf_counter()
    amount = work()
    return time.perf_counter() - started, amount


def build_rows(client, actor, big, quick):
    from distributed import wait

    # Smaller than Granary's counts: Dask's per-call cost is far higher, and these keep a full run in minutes.
    n_sync = 200 if quick else 1_000
    n_async = 2_000 if quick else 10_000
    big_per_round = 2 if quick else 5

    def tasks_sync():
        for i in range(n_sync):
            client.submit(noop, i, pure=False).result()
        return n_sync

    def tasks_async():
        assert len(client.gather(client.map(noop, range(n_async), pure=False))) == n_async
        return n_async

    def actor_sync():
        for _ in range(n_sync):
            actor.ping().result()
        return n_sync

    def actor_async():
        for future in [actor.ping() for _ in range(n_async)]:
            future.result()
        return n_async

    def put_calls():
        # Like ray.put: each small value is stored on a worker before the next put starts.
        kept = [client.scatter(i, hash=False) for i in range(n_sync)]
        del kept
        return n_sync

    stored_small = client.scatter(0, hash=False)

    def get_calls():
        # Like Ray's row: the same small stored object, fetched again and again.
        for _ in range(n_sync):
            assert client.gather(stored_small) == 0
        return n_sync

    def put_gigabytes():
        kept = [client.scatter(big, hash=False) for _ in range(big_per_round)]
        del kept
        return big.nbytes * big_per_round / 1e9

    stored_big = client.scatter(big, hash=False)

    def get_gigabytes():
        for _ in range(big_per_round):
            assert client.gather(stored_big).nbytes == big.nbytes
        return big.nbytes * big_per_round / 1e9

    def wait_1k_refs():
        # Ray's workload: 1,000 tasks, then 1,000 waits that each take one ready future off the list.
        not_ready = client.map(noop, range(1_000), pure=False)
        while not_ready:
            done, rest = wait(not_ready, return_when="FIRST_COMPLETED")
            first = next(iter(done))
            not_ready = [f for f in not_ready if f is not first]
        return 1

    return [
        ("single_client_tasks_sync", "ops/s", tasks_sync),
        ("single_client_tasks_async", "ops/s", tasks_async),
        ("1_1_actor_calls_sync", "ops/s", actor_sync),
        ("1_1_actor_calls_async", "ops/s", actor_async),
        ("single_client_put_calls", "ops/s", put_calls),
        ("single_client_get_calls", "ops/s", get_calls),
        ("single_client_put_gigabytes", "GB/s", put_gigabytes),
        ("single_client_get_gigabytes", "GB/s", get_gigabytes),
        ("single_client_wait_1k_refs", "ops/s", wait_1k_refs),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="timed rounds per row (after one warm-up)")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for smoke runs")
    parser.add_argument("--only", default=None, help="run only rows whose name starts with this")
    args = parser.parse_args()

    import numpy as np
    import dask
    import distributed
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    result = {"versions": {"dask": dask.__version__, "distributed": distributed.__version__,
                           "python": sys.version.split()[0]},
              "workers": "LocalCluster, 2 worker processes x 1 thread, loopback", "rows": {}}
    try:
        client.wait_for_workers(2, timeout=60)
        actor = client.submit(Pinger, actor=True).result(timeout=60)
        # 64 MiB like Granary's gigabytes rows (12.8 MiB when quick, as Granary's --quick).
        big_bytes = (64 << 20) // 5 if args.quick else 64 << 20
        big = np.random.default_rng(0).integers(0, 256, size=big_bytes, dtype=np.uint8)
        rows = build_rows(client, actor, big, args.quick)
        if args.only:
            rows = [row for row in rows if row[0].startswith(args.only)]
        for name, unit, work in rows:
            work()  # warm-up
            rates = []
            for _ in range(args.reps):
                seconds, amount = timed(work)
                rates.append(amount / seconds)
            result["rows"][name] = {"unit": unit, "median": statistics.median(rates),
                                    "min": min(rates), "max": max(rates)}
            log(f"{name:36s} {unit:6s} median {statistics.median(rates):14.2f}")
    finally:
        client.close()
        cluster.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
