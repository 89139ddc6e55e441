"""Closed-loop capacity and open-loop latency at fixed arrival rates, with Python threads.

Closed loop: C simulated members, each starting a new journey as soon as the last one ends;
capacity is journeys (or requests) completed per second after a short warm-up.
Open loop: journeys arrive evenly spaced at a fixed rate whatever the server does; each
journey's first request is timed from when it was due, so a generator that falls behind shows
as latency rather than hiding it (no coordinated omission).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .client import Client, Failed, Sample, journey

_addresses = itertools.count(1)


def new_client(host: str, port: int) -> Client:
    """Return a new member with an address of their own (10.x.y.z)."""
    n = next(_addresses)
    return Client(host, port, f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255 or 1}")


@dataclass
class Phase:
    """What one load phase measured."""

    name: str
    seconds: float
    done: int  # journeys or requests completed inside the measured window
    failed: int
    samples: list[Sample]
    generator_cpu: float  # the load generator's CPU seconds per wall second (1.0 = one core busy)
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def latency(self, kinds: Sequence[str] | None = None) -> dict[str, float]:
        """Return p50/p95/p99/max in milliseconds over the samples (of the given kinds)."""
        values = [s.latency for s in self.samples if kinds is None or s.kind in kinds]
        if not values:
            return {}
        array = np.array(values) * 1000
        p50, p95, p99 = np.percentile(array, [50, 95, 99])
        return {"p50": round(p50, 1), "p95": round(p95, 1), "p99": round(p99, 1), "max": round(array.max(), 1)}

    def bad_statuses(self) -> int:
        """Requests answered 5xx or not at all."""
        return sum(1 for s in self.samples if s.status == 0 or s.status >= 500)

    def summary(self, kinds: Sequence[str] | None = None) -> dict:
        requests = len(self.samples)
        return {
            "seconds": round(self.seconds, 2),
            "completed": self.done,
            "per_second": round(self.rate, 2),
            "failed": self.failed,
            "requests": requests,
            "requests_per_second": round(requests / self.seconds, 1) if self.seconds else 0,
            "server_errors": self.bad_statuses(),
            "latency_ms": self.latency(kinds),
            "generator_cpu": round(self.generator_cpu, 2),
            "first_errors": self.errors[:5],
        }


def closed_loop(
    name: str,
    work: Callable[[Client], int],
    make: Callable[[], Client],
    concurrency: int,
    seconds: float,
    warm: float,
    fresh: bool = False,
) -> Phase:
    """Run `work` (one journey, or one request) back to back on `concurrency` threads.

    Counts what completes between `warm` seconds after the start and the end; each thread
    makes a new client (a new member) for each unit of work when `fresh` is set.
    """
    start = time.perf_counter()
    window = (start + warm, start + warm + seconds)
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}
    samples: list[Sample] = []
    errors: list[str] = []

    def loop() -> None:
        client = make()
        while time.perf_counter() < window[1]:
            mark = len(client.samples)
            try:
                units = work(client)
                ok = True
            except Exception as error:  # a failed journey counts as failed; the loop goes on
                units, ok = 1, False
                with lock:
                    errors.append(f"{type(error).__name__}: {error}")
                client.close()
                client = make()
            now = time.perf_counter()
            with lock:
                if window[0] <= now <= window[1]:
                    counts["done" if ok else "failed"] += units
                    samples.extend(client.samples[mark:])
            if fresh and ok:
                client.close()
                client = make()
            elif len(client.samples) > 10_000:
                client.samples.clear()
        client.close()

    cpu = time.process_time()
    _in_threads(loop, concurrency)
    wall = time.perf_counter() - start
    return Phase(name, seconds, counts["done"], counts["failed"], samples, (time.process_time() - cpu) / wall, errors)


def open_loop(
    name: str,
    host: str,
    port: int,
    slug: str,
    page_sets: list[dict],
    rate: float,
    seconds: float,
    pool: int = 96,
) -> Phase:
    """Start one journey every 1/rate seconds for `seconds`, evenly spaced; wait for all to end."""
    start = time.perf_counter() + 0.2
    arrivals = max(int(rate * seconds), 3)
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}
    samples: list[Sample] = []
    errors: list[str] = []

    def one(i: int, due: float) -> None:
        client = new_client(host, port)
        try:
            journey(client, slug, page_sets[i % len(page_sets)], due=due)
            ok = True
        except (Failed, OSError) as error:
            ok = False
            with lock:
                errors.append(str(error))
        finally:
            client.close()
        with lock:
            counts["done" if ok else "failed"] += 1
            samples.extend(client.samples)

    cpu = time.process_time()
    with ThreadPoolExecutor(max_workers=pool) as executor:
        for i in range(arrivals):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            executor.submit(one, i, due)
    wall = time.perf_counter() - start
    return Phase(name, seconds, counts["done"], counts["failed"], samples, (time.process_time() - cpu) / wall, errors)


def drain(name: str, items: list, work: Callable[[object], Client], concurrency: int) -> Phase:
    """Do `work` once per prepared item on `concurrency` threads; the rate is items per wall second."""
    lock = threading.Lock()
    queue = list(reversed(items))
    counts = {"done": 0, "failed": 0}
    samples: list[Sample] = []
    errors: list[str] = []

    def loop() -> None:
        while True:
            with lock:
                if not queue:
                    return
                item = queue.pop()
            try:
                client = work(item)
                ok = True
            except (Failed, OSError) as error:
                ok, client = False, getattr(item, "client", None)
                with lock:
                    errors.append(str(error))
            with lock:
                counts["done" if ok else "failed"] += 1
                if client is not None:
                    samples.extend(client.samples[-1:])

    cpu = time.process_time()
    start = time.perf_counter()
    _in_threads(loop, concurrency)
    wall = time.perf_counter() - start
    return Phase(name, wall, counts["done"], counts["failed"], samples, (time.process_time() - cpu) / wall, errors)


def _in_threads(loop: Callable[[], None], concurrency: int) -> None:
    """Run `loop` on this many threads at once and wait for them all."""
    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
