"""Benchmark: export_interactions vs a no-checks pyarrow floor, rows/s and memory at 1 M and 10 M rows.

Per size, one `moto_server` in its own process holds the data: the bench generates N synthetic interaction rows there
as parquet (250 k-row files) plus 1000 warm-up rows. Then each engine runs in a fresh child process against that
server: a warm-up on the 1000 rows (one-time imports and set-up are not timed), then the timed run of either
`export_interactions.main` (mapping, Avro conformance, dedup, statistics, CSV parts of 250 k rows, manifest) or the
floor (pyarrow reads each parquet file and writes the same rows as one CSV object, no checks). Engines are the
`ENGINES` table: name -> a function (S3 client, source prefix, run id) -> rows written.

Moto runs in another process so that only the job's and the floor's own work is measured: in-process, moto's S3 work
(checksums, per-object copies) would count in both CPU times and hide the true ratio, and its object copies would make
the peak creep with the number of objects. Speed is rows per CPU-second of the child (all its threads; other programs
on a shared machine inflate wall time, not CPU time), wall rows/s printed beside it. Memory, per child: the whole
process's peak (ru_maxrss from os.wait4: imports, warm-up and the run), and the memory above the fixed baseline, i.e.
the peak during the timed run (VmHWM, reset just before it through /proc/self/clear_refs) minus the resident memory
at its start; growth from 1 M to 10 M is judged on the latter. Exits 0 whatever the outcome.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "bench-etl"
FILE_ROWS = 250_000
SIZES = {"1M": 1_000_000, "10M": 10_000_000}
THROUGHPUT_GOAL = 0.5  # export rows per CPU-s >= 0.5x the floor's
MEMORY_GOAL = 1.3  # export memory above its baseline at 10 M <= 1.3x the same at 1 M
SOURCE, WARM = "raw/", "warm/"


def generate(s3: Any, rows: int, seed: int = 7, prefix: str = SOURCE) -> None:
    """`rows` interactions as parquet under s3://BUCKET/<prefix> (users = rows/20, items = rows/100, ms stamps)."""
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
        s3.put_object(Bucket=BUCKET, Key=f"{prefix}part-{start // FILE_ROWS:05d}.parquet", Body=buffer.getvalue())


def run_export(s3: Any, prefix: str, run_id: str) -> int:
    """The Python shell job as Glue runs it (it makes its own S3 client, from AWS_ENDPOINT_URL)."""
    import export_interactions

    result = export_interactions.main({
        "bucket": BUCKET, "run_id": run_id, "schema": str(ROOT / "schemas" / "interactions.avsc"),
        "source_type": "s3_parquet", "source": f"s3://{BUCKET}/{prefix}",
        "mapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts_ms",
        "event_type_column": "event", "event_value_column": "value", "chunk_rows": str(FILE_ROWS),
        "dedupe": os.environ.get("BENCH_DEDUPE", "global"),
    })  # fmt: skip
    return int(result["rowsWritten"])


def run_floor(s3: Any, prefix: str, run_id: str) -> int:
    """No checks: pyarrow reads each parquet object and writes its rows as one CSV object."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    written = 0
    for n, obj in enumerate(s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]):
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()))
        out = io.BytesIO()
        pacsv.write_csv(table, out)
        s3.put_object(Bucket=BUCKET, Key=f"floor/{run_id}/part-{n:05d}.csv", Body=out.getvalue())
        written += table.num_rows
    return written


# What is measured: name -> (S3 client, source prefix, run id) -> rows written. "export" is judged against "floor".
ENGINES: dict[str, Callable[[Any, str, str], int]] = {"export": run_export, "floor": run_floor}


def _memory_kib(field: str) -> int | None:
    """VmRSS or VmHWM of this process (Linux /proc), or None where there is no /proc."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None


def _reset_peak() -> int | None:
    """Start a new high-water mark (VmHWM) at the current resident memory; return that memory in KiB."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # Linux >= 4.0: reset the peak resident set size
    except OSError:
        return None
    return _memory_kib("VmRSS")


def child(engine: str, rows: int) -> None:
    """One measurement against the moto_server in AWS_ENDPOINT_URL: print timings and memory as JSON."""
    import boto3

    s3 = boto3.client("s3")
    ENGINES[engine](s3, WARM, "warm-up")  # one-time imports and kernel set-up are not timed
    baseline = _reset_peak()
    started, cpu_started = time.perf_counter(), time.process_time()
    written = ENGINES[engine](s3, SOURCE, "bench")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak = _memory_kib("VmHWM") if baseline is not None else None
    above = (peak - baseline) / 1024 if peak is not None and baseline is not None else None
    print(json.dumps({"rows": rows, "written": written, "seconds": seconds, "cpu_seconds": cpu_seconds,
                      "baseline_mb": baseline / 1024 if baseline else None, "above_mb": above}))  # fmt: skip


def _env(endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env |= {"PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "lambdas", "glue_jobs")),
            "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(256 * 1024), "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}  # fmt: skip
    return env | ({"AWS_ENDPOINT_URL": endpoint} if endpoint else {})


@contextmanager
def moto_server_with_data(rows: int) -> Iterator[str]:
    """A moto_server in its own process holding `rows` source rows and the warm-up rows; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], env=_env(None),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"moto_server did not start on {url}")
        import boto3

        env = _env(url)
        s3 = boto3.client("s3", endpoint_url=url, region_name=env["AWS_DEFAULT_REGION"],
                          aws_access_key_id="bench", aws_secret_access_key="bench")  # fmt: skip
        s3.create_bucket(Bucket=BUCKET)
        generate(s3, rows)
        generate(s3, 1000, prefix=WARM)
        yield url
    finally:
        proc.terminate()
        proc.wait()


def measure(engine: str, rows: int, endpoint: str) -> dict[str, Any]:
    proc = subprocess.Popen([sys.executable, __file__, "--child", engine, str(rows)], stdout=subprocess.PIPE,
                            env=_env(endpoint))  # fmt: skip
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench child {engine} {rows} failed with exit code {os.waitstatus_to_exitcode(status)}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    if result["written"] != rows:
        raise SystemExit(f"bench child {engine} wrote {result['written']:,} rows of {rows:,}: not a like-for-like run")
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["rows_per_cpu_s"] = result["rows"] / result["cpu_seconds"]
    return result


def verdict(name: str, measured: float, op: str, goal: float) -> str:
    holds = measured >= goal if op == ">=" else measured <= goal
    return f"TARGET {name}: {measured:.2f}x (goal {op} {goal}x) {'HOLDS' if holds else 'MISSES'}"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def report(results: dict[tuple[str, str], dict[str, Any]]) -> None:
    print(
        f"export_interactions --dedupe {os.environ.get('BENCH_DEDUPE', 'global')}, {FILE_ROWS:,}-row parts; floor: "
        "pyarrow parquet -> CSV, one object per 250k-row file; S3 = moto_server in another process"
    )
    print(f"{'size':>4} {'engine':>6} {'rows/s':>10} {'rows/cpu-s':>10} {'vs floor':>8} {'peak MB':>7} "
          f"{'baseline MB':>11} {'above MB':>8}")  # fmt: skip
    for (engine, size), r in results.items():
        ratio = r["rows_per_cpu_s"] / results[("floor", size)]["rows_per_cpu_s"]
        print(f"{size:>4} {engine:>6} {r['rows_per_s']:>10,.0f} {r['rows_per_cpu_s']:>10,.0f} {ratio:>7.2f}x "
              f"{r['peak_mb']:>7,.0f} {_mb(r['baseline_mb']):>11} {_mb(r['above_mb']):>8}")  # fmt: skip
    for size in SIZES:
        ratio = results[("export", size)]["rows_per_cpu_s"] / results[("floor", size)]["rows_per_cpu_s"]
        print(verdict(f"export_rows_per_cpu_s_vs_floor_{size}", ratio, ">=", THROUGHPUT_GOAL))
    if {"1M", "10M"} <= set(SIZES):
        small, large = results[("export", "1M")], results[("export", "10M")]
        print(f"INFO export whole-process peak 10M vs 1M: {large['peak_mb'] / small['peak_mb']:.2f}x (shares the "
              f"fixed baseline; the target below is on the memory above it)")  # fmt: skip
        if small["above_mb"] and large["above_mb"] is not None:
            growth = large["above_mb"] / small["above_mb"]
            print(verdict("export_memory_above_baseline_10M_vs_1M", growth, "<=", MEMORY_GOAL))
        else:
            print("TARGET export_memory_above_baseline_10M_vs_1M: not measured (needs Linux /proc/self/clear_refs) "
                  f"(goal <= {MEMORY_GOAL}x) MISSES")  # fmt: skip


def main(engines: list[str]) -> None:
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for size, rows in SIZES.items():
        with moto_server_with_data(rows) as endpoint:
            for engine in engines:
                results[(engine, size)] = measure(engine, rows, endpoint)
    report(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="comma-separated subset of 1M,10M (default: both)")
    parser.add_argument("--dedupe", choices=("global", "chunk"), default="global", help="the export's --dedupe")
    cli = parser.parse_args()
    if cli.child:
        child(cli.child[0], int(cli.child[1]))
    else:
        SIZES = {k: v for k, v in SIZES.items() if not cli.sizes or k in cli.sizes.split(",")}
        os.environ["BENCH_DEDUPE"] = cli.dedupe  # inherited by the children
        main(list(ENGINES))
