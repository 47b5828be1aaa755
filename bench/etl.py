"""Benchmark: export_interactions vs a no-checks pyarrow floor, rows/s and peak memory at 1 M and 10 M rows.

Each measurement runs in a fresh subprocess (moto in-process there): generate N synthetic interaction rows as parquet
in emulated S3 (in 250 k-row files, so generation stays small), then either run `export_interactions.main` (mapping,
Avro conformance, dedup, stats, CSV parts, manifest) or the floor (pyarrow reads the same parquet files and writes the
same rows as CSV with no checks). Emulated S3 objects spill to disk (MOTO_S3_DEFAULT_KEY_BUFFER_SIZE), so the peak
RSS (os.wait4's ru_maxrss of the child) is the job's memory, not the emulated bucket's. Exit 0 whatever the outcome.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "bench-etl"
FILE_ROWS = 250_000
SIZES = {"1M": 1_000_000, "10M": 10_000_000}
THROUGHPUT_GOAL = 0.5  # export rows/s >= 0.5x the floor's
MEMORY_GOAL = 1.3  # export peak at 10 M <= 1.3x its peak at 1 M


def generate(s3: Any, rows: int, seed: int = 7, prefix: str = "raw") -> str:
    """`rows` interactions as parquet files under s3://BUCKET/raw/ (users = rows/20, items = rows/100, ms stamps)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    users, items = max(rows // 20, 1), max(rows // 100, 1)
    for start in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - start)
        table = pa.table(
            {
                "customer_id": pa.array(rng.integers(0, users, n)).cast(pa.string()),
                "sku": pa.array(rng.integers(0, items, n)).cast(pa.string()),
                "ts_ms": pa.array(1_600_000_000_000 + rng.integers(0, 10**11, n)),
                "event": pa.array(rng.choice(np.array(["click", "cart", "purchase"]), n)),
                "value": pa.array(rng.random(n)),
            }
        )
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/part-{start // FILE_ROWS:05d}.parquet", Body=buffer.getvalue())
    return f"s3://{BUCKET}/{prefix}/"


def run_export(source: str, run_id: str = "bench") -> int:
    import export_interactions

    result = export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": run_id,
            "schema": str(ROOT / "schemas" / "interactions.avsc"),
            "source_type": "s3_parquet",
            "source": source,
            "mapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts_ms",
            "event_type_column": "event",
            "event_value_column": "value",
            "chunk_rows": str(FILE_ROWS),
        }
    )
    return int(result["rowsWritten"])


def run_floor(s3: Any, prefix: str = "raw/") -> int:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    written = 0
    for n, obj in enumerate(s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]):
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()))
        out = io.BytesIO()
        pacsv.write_csv(table, out)
        s3.put_object(Bucket=BUCKET, Key=f"floor/{prefix}part-{n:05d}.csv", Body=out.getvalue())
        written += table.num_rows
    return written


def warm_up(s3: Any, kind: str) -> None:
    """Run the measured code once on 1000 other rows, so one-time imports and kernel set-up are not timed."""
    source = generate(s3, 1000, prefix="warm")
    run_export(source, run_id="warm-up") if kind == "export" else run_floor(s3, prefix="warm/")


def child(kind: str, rows: int) -> None:
    """One measurement: generate, then time the export or the floor; print {rows, seconds} as JSON."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        source = generate(s3, rows)
        warm_up(s3, kind)
        started, cpu_started = time.perf_counter(), time.process_time()
        written = run_export(source) if kind == "export" else run_floor(s3)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"rows": rows, "written": written, "seconds": seconds, "cpu_seconds": cpu_seconds}))


def measure(kind: str, rows: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "lambdas", "glue_jobs")),
        "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(256 * 1024),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }
    env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")}
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(rows)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"bench child {kind} {rows} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["rows_per_cpu_s"] = result["rows"] / result["cpu_seconds"]
    return result


def verdict(name: str, measured: float, op: str, goal: float, unit: str) -> str:
    holds = measured >= goal if op == ">=" else measured <= goal
    return f"TARGET {name}: {measured:.2f}{unit} (goal {op} {goal}{unit}) {'HOLDS' if holds else 'MISSES'}"


def main() -> None:
    results = {(kind, size): measure(kind, rows) for size, rows in SIZES.items() for kind in ("export", "floor")}
    print(
        f"{'size':>5} {'export rows/s':>14} {'floor rows/s':>13} {'ratio':>6} {'export rows/cpu-s':>18} "
        f"{'floor rows/cpu-s':>17} {'ratio':>6} {'export peak MB':>15} {'floor peak MB':>14}"
    )
    for size in SIZES:
        export, floor = results[("export", size)], results[("floor", size)]
        print(
            f"{size:>5} {export['rows_per_s']:>14,.0f} {floor['rows_per_s']:>13,.0f} "
            f"{export['rows_per_s'] / floor['rows_per_s']:>6.2f} {export['rows_per_cpu_s']:>18,.0f} "
            f"{floor['rows_per_cpu_s']:>17,.0f} {export['rows_per_cpu_s'] / floor['rows_per_cpu_s']:>6.2f} "
            f"{export['peak_mb']:>15,.0f} {floor['peak_mb']:>14,.0f}"
        )
    print(
        "rows/s is wall time; rows/cpu-s divides by the process's CPU seconds (all threads), which other programs on a "
        "shared machine do not inflate. The targets use CPU time."
    )
    for size in SIZES:
        ratio = results[("export", size)]["rows_per_cpu_s"] / results[("floor", size)]["rows_per_cpu_s"]
        print(verdict(f"export_rows_per_cpu_s_vs_floor_{size}", ratio, ">=", THROUGHPUT_GOAL, "x"))
    if {"1M", "10M"} <= set(SIZES):
        growth = results[("export", "10M")]["peak_mb"] / results[("export", "1M")]["peak_mb"]
        print(verdict("export_peak_memory_10M_vs_1M", growth, "<=", MEMORY_GOAL, "x"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="comma-separated subset of 1M,10M (default: both)")
    cli = parser.parse_args()
    if cli.child:
        child(cli.child[0], int(cli.child[1]))
    else:
        if cli.sizes:
            SIZES = {k: v for k, v in SIZES.items() if k in cli.sizes.split(",")}
        main()
