"""`make bench`: every benchmark in turn; each prints percentiles and ratios."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHES = ["bench_classify", "bench_agencies", "bench_import", "bench_console", "bench_realistic",
           "bench_login_burst", "bench_alerts"]


def main() -> int:
    failed = []
    for name in BENCHES:
        path = Path(__file__).parent / f"{name}.py"
        if not path.exists():
            continue
        print(f"\n== {name}")
        t = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            print(f"  FAILED: {type(exc).__name__}: {exc}")
            failed.append(name)
        print(f"  ({time.perf_counter() - t:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
