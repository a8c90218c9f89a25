"""Small helpers for the benchmarks: percentiles and a fixed table format."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from typing import Callable, Iterable, Iterator


def percentile(samples: list[float], p: float) -> float:
    s = sorted(samples)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def report(name: str, ms: list[float], extra: str = "") -> None:
    print(f"  {name:44s} p50 {percentile(ms, 50):8.3f} ms   p99 {percentile(ms, 99):8.3f} ms   "
          f"mean {statistics.fmean(ms):8.3f} ms  n={len(ms)} {extra}")


def each(items: Iterable, fn: Callable) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


@contextlib.contextmanager
def service_environment(**extra: str) -> Iterator[None]:
    """Cheap password hashing (the login is not what is measured) and no background scheduler during
    the timings; every variable is restored, since run_all.py runs other benchmarks in this process."""
    values = {"HELPDESK_FAST_HASH": os.environ.get("HELPDESK_FAST_HASH", "1"), "HELPDESK_SCHEDULER": "off", **extra}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
