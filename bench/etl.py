"""Benchmark: export_interactions vs a no-checks pyarrow floor, rows/s and peak memory at 1 M and 10 M rows.

Every measurement runs in a fresh subprocess: generate N synthetic interaction rows as parquet in emulated S3 (250 k-row
files), warm up on 1000 other rows, then run either `export_interactions.main` (mapping, Avro conformance, dedup,
statistics, CSV parts of 250 k rows, manifest) or the floor (pyarrow reads each parquet file and writes the same rows
as one CSV object, no checks).

Two passes, because in-process moto distorts one of the two numbers each way:
* speed: moto in-process in the child (as the tests run). Its S3 work (checksums, copies) counts for both sides.
* memory: the same child against a `moto_server` in another process, so ru_maxrss (os.wait4) is the job's own
  memory. In-process, moto's per-object copies make the peak creep with the number of objects, for the floor as
  much as for the export (both ~2x from 1 M to 10 M), which says nothing about the job.
Speed is shown as wall rows/s and as rows per CPU-second (all threads of the child); other programs on a shared
machine inflate wall time, not CPU time, so the throughput targets use CPU time. Exits 0 whatever the outcome.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "bench-etl"
FILE_ROWS = 250_000
SIZES = {"1M": 1_000_000, "10M": 10_000_000}
KINDS = ("export", "floor")
THROUGHPUT_GOAL = 0.5  # export rows/s >= 0.5x the floor's
MEMORY_GOAL = 1.3  # export peak at 10 M <= 1.3x its peak at 1 M


def generate(s3: Any, rows: int, seed: int = 7, prefix: str = "raw") -> str:
    """`rows` interactions as parquet under s3://BUCKET/<prefix>/ (users = rows/20, items = rows/100, ms stamps)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    users, items = max(rows // 20, 1), max(rows // 100, 1)
    for start in range(0, rows, FILE_ROWS):
        n = min(FILE_ROWS, rows - start)
        table = pa.table({
            "customer_id": pa.array(rng.integers(0, users, n)).cast(pa.string()),
            "sku": pa.array(rng.integers(0, items, n)).cast(pa.string()),
            "ts_ms": pa.array(1_600_000_000_000 + rng.integers(0, 10**11, n)),
            "event": pa.array(rng.choice(np.array(["click", "cart", "purchase"]), n)),
            "value": pa.array(rng.random(n)),
        })  # fmt: skip
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}/part-{start // FILE_ROWS:05d}.parquet", Body=buffer.getvalue())
    return f"s3://{BUCKET}/{prefix}/"


def run_export(source: str, run_id: str = "bench") -> int:
    import export_interactions

    result = export_interactions.main({
        "bucket": BUCKET, "run_id": run_id, "schema": str(ROOT / "schemas" / "interactions.avsc"),
        "source_type": "s3_parquet", "source": source, "mapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts_ms",
        "event_type_column": "event", "event_value_column": "value", "chunk_rows": str(FILE_ROWS),
        "dedupe": os.environ.get("BENCH_DEDUPE", "global"),
    })  # fmt: skip
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


def child(kind: str, rows: int) -> None:
    """One measurement (moto in-process unless AWS_ENDPOINT_URL names a moto_server): print timings as JSON."""
    import contextlib

    import boto3
    from moto import mock_aws

    with contextlib.nullcontext() if os.environ.get("AWS_ENDPOINT_URL") else mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        source = generate(s3, rows)
        warm = generate(s3, 1000, prefix="warm")  # one-time imports and kernel set-up are not timed
        run_export(warm, run_id="warm-up") if kind == "export" else run_floor(s3, prefix="warm/")
        started, cpu_started = time.perf_counter(), time.process_time()
        written = run_export(source) if kind == "export" else run_floor(s3)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"rows": rows, "written": written, "seconds": seconds, "cpu_seconds": cpu_seconds}))


def _child_env(endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env |= {"PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "lambdas", "glue_jobs")),
            "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(256 * 1024), "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}  # fmt: skip
    return env | ({"AWS_ENDPOINT_URL": endpoint} if endpoint else {})


def _start_moto_server() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], env=_child_env(None),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"moto_server did not start on {url}")


def measure(kind: str, rows: int, server: bool) -> dict[str, Any]:
    moto, endpoint = _start_moto_server() if server else (None, None)
    try:
        proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(rows)], stdout=subprocess.PIPE,
                                env=_child_env(endpoint))  # fmt: skip
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if moto:
            moto.terminate()
            moto.wait()
    if proc.returncode:
        raise SystemExit(f"bench child {kind} {rows} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["rows_per_cpu_s"] = result["rows"] / result["cpu_seconds"]
    return result


def verdict(name: str, measured: float, op: str, goal: float) -> str:
    holds = measured >= goal if op == ">=" else measured <= goal
    return f"TARGET {name}: {measured:.2f}x (goal {op} {goal}x) {'HOLDS' if holds else 'MISSES'}"


def report(speed: dict[tuple[str, str], Any], memory: dict[tuple[str, str], Any]) -> None:
    print(
        f"export_interactions --dedupe {os.environ.get('BENCH_DEDUPE', 'global')}, {FILE_ROWS:,}-row parts; floor: "
        "pyarrow parquet -> CSV, one object per 250k-row file"
    )
    print(f"{'size':>4} {'export rows/s':>13} {'floor rows/s':>12} {'ratio':>5} {'export rows/cpu-s':>17} "
          f"{'floor rows/cpu-s':>16} {'ratio':>5} {'export peak MB':>14} {'floor peak MB':>13} "
          f"{'(in-process moto: export / floor MB)':>37}")  # fmt: skip
    for size in SIZES:
        e, f = speed[("export", size)], speed[("floor", size)]
        wall = e["rows_per_s"] / f["rows_per_s"]
        print(f"{size:>4} {e['rows_per_s']:>13,.0f} {f['rows_per_s']:>12,.0f} {wall:>5.2f} "
              f"{e['rows_per_cpu_s']:>17,.0f} {f['rows_per_cpu_s']:>16,.0f} "
              f"{e['rows_per_cpu_s'] / f['rows_per_cpu_s']:>5.2f} {memory[('export', size)]['peak_mb']:>14,.0f} "
              f"{memory[('floor', size)]['peak_mb']:>13,.0f} {e['peak_mb']:>21,.0f} / {f['peak_mb']:,.0f}")  # fmt: skip
    for size in SIZES:
        ratio = speed[("export", size)]["rows_per_cpu_s"] / speed[("floor", size)]["rows_per_cpu_s"]
        print(verdict(f"export_rows_per_cpu_s_vs_floor_{size}", ratio, ">=", THROUGHPUT_GOAL))
    if {"1M", "10M"} <= set(SIZES):
        growth = memory[("export", "10M")]["peak_mb"] / memory[("export", "1M")]["peak_mb"]
        print(verdict("export_peak_memory_10M_vs_1M", growth, "<=", MEMORY_GOAL))


def main() -> None:
    speed = {(kind, size): measure(kind, rows, server=False) for size, rows in SIZES.items() for kind in KINDS}
    memory = {(kind, size): measure(kind, rows, server=True) for size, rows in SIZES.items() for kind in KINDS}
    report(speed, memory)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="comma-separated subset of 1M,10M (default: both)")
    parser.add_argument("--dedupe", choices=("global", "chunk"), default="global", help="the export's --dedupe")
    cli = parser.parse_args()
    if cli.child:
        child(cli.child[0], int(cli.child[1]))
    else:
        SIZES = {k: v for k, v in SIZES.items() if not cli.sizes or k in cli.sizes.split(",")}
        os.environ["BENCH_DEDUPE"] = cli.dedupe  # inherited by the children
        main()
