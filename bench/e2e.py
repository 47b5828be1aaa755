"""End-to-end benchmark: the demo pipeline's wall time, the time in training + metrics, and orchestration's share.

Run: `.venv/bin/python bench/e2e.py` (prints a table, then one TARGET line; exits 0 either way).
Training and metrics time is measured by timing every call of the engine's `train` and `solution_metrics` in the run;
orchestration is everything else (data generation, stack deployment, Glue exports, Lambdas, the state machine
interpreter, polling, the report). Module imports happen once per process and are timed and printed separately, not
counted in the pipeline's wall time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "lambdas")]

from autopersonalize import engine  # noqa: E402

SPENT = {"train": 0.0, "metrics": 0.0}


def _timed(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            SPENT[kind] += time.perf_counter() - started

    return wrapper


def main() -> int:
    engine.train = _timed("train", engine.train)  # type: ignore[assignment]
    engine.solution_metrics = _timed("metrics", engine.solution_metrics)  # type: ignore[assignment]
    imported = time.perf_counter()
    from autopersonalize import commands
    from autopersonalize.emulator import solutions  # noqa: F401 - imported lazily by the first training otherwise
    from autopersonalize.local import offline_aws  # noqa: F401

    import_seconds = time.perf_counter() - imported

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    started = time.perf_counter()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = commands.demo(as_json=True)
    wall = time.perf_counter() - started
    document = json.loads(captured.getvalue()[captured.getvalue().index("{") :])
    modelling = SPENT["train"] + SPENT["metrics"]
    share = (wall - modelling) / wall
    print(f"imports (once)        {import_seconds:8.2f} s  (not part of the wall time below)")
    print(f"demo exit code        {code} ({document['outcome']})")
    print(f"wall time             {wall:8.2f} s")
    print(f"training              {SPENT['train']:8.2f} s")
    print(f"metrics               {SPENT['metrics']:8.2f} s")
    print(f"orchestration         {wall - modelling:8.2f} s  ({share:.0%} of wall)")
    verdict = "HOLDS" if share <= 0.30 else "MISSES"
    print(f"TARGET orchestration_share: {share:.2f} (goal <= 0.30) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
