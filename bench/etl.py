"""Benchmark: the export engines (Python shell job, Spark on local[2]) vs a no-checks floor, at 1 M and 10 M rows.

Per size, one `moto_server` in its own process holds the data: the bench generates N synthetic interaction rows there
as parquet (250 k-row files) plus 1000 warm-up rows. Then each engine runs in a fresh child process against that
server: a warm-up on the 1000 rows (one-time imports and set-up, the JVM's start for Spark, are not timed; the
warm-up's wall time is printed as "cold s"), then the timed run. Engines are the `ENGINES` table: name -> a function
(S3 client, source prefix, run id) -> rows written:
- export: `export_interactions.main`, the Glue Python shell job (mapping, Avro conformance, dedup, statistics, CSV
  parts of 250 k rows, manifest);
- spark: `export_spark.main`, the Glue for Spark job (glue_jobs/spark_export.py) with the same arguments, on PySpark
  local[2] (both cores of the development machine); PySpark has no S3 connector here, so the job stages the source
  objects and its parts through a local folder (`--spark_io local:`, as the offline stack runs it), which Glue's
  Spark does not need: that copying is in its time;
- floor: pyarrow reads each parquet file and writes the same rows as one CSV object, no checks.

Moto runs in another process so that only the engines' own work is measured: in-process, moto's S3 work (checksums,
per-object copies) would count in the CPU times and hide the true ratios. Speed is rows per CPU-second of the child's
whole process tree (the Spark child's JVM and Python workers included; all threads; other programs on a shared machine
inflate wall time, not CPU time), wall rows/s printed beside it. Memory: the whole process tree's peak (the child's
ru_maxrss from os.wait4, and the sum of the tree's proportional set sizes, sampled every 0.2 s by this process, so a
JVM and its Python workers count once each) and the memory above the fixed baseline, i.e. the peak during the timed
run minus the memory at its start: for a one-process engine exactly (VmHWM, reset just before the run through
/proc/self/clear_refs), for Spark from the tree's samples. Growth from 1 M to 10 M is judged on the latter.

Targets, and why these goals:
- export rows per CPU-s >= 0.5x the floor's: all the checks may cost at most as much CPU again as moving the bytes.
- export memory above its baseline at 10 M <= 1.3x the same at 1 M: the Python shell job streams; only its exact
  duplicate set (8 bytes a row) grows with the data.
- spark time 10 M <= 10x its time at 1 M: linear or better (fixed costs amortise); a step that grows faster than the
  data on one node (a spill, a skewed shuffle, collecting to the driver) would show here first.
- spark tree memory above baseline at 10 M <= 1.5x the same at 1 M: Spark works in bounded memory (it spills shuffles
  and caches to disk past its configured heap); the JVM fills its heap lazily up to spark.driver.memory before it
  collects, so some growth without data-proportional state is expected, 10x would be proportional.
- spark rows per CPU-s at 10 M >= 0.25x the Python shell job's: Glue's default Spark job here has 10 G.1X workers,
  9 executors of 4 vCPU; at a quarter of the Python shell job's work per CPU-second its 36 cores still export ~9x
  faster than the one-core Python shell job, which is what makes handing a large source to Spark worth its start-up
  (docs/glue.md, "Choosing the engine", builds the estimate on these numbers).
Exits 0 whatever the outcome.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
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
SPARK_SCALING_GOAL = 10.0  # spark seconds at 10 M <= 10x its seconds at 1 M
SPARK_MEMORY_GOAL = 1.5  # spark tree memory above its baseline at 10 M <= 1.5x the same at 1 M
SPARK_CPU_GOAL = 0.25  # spark rows per CPU-s at 10 M >= 0.25x the Python shell job's
SAMPLE_SECONDS = 0.2  # how often the process tree's memory is sampled
SOURCE, WARM = "raw/", "warm/"
START, END = "TIMED-START", "TIMED-END"  # the child's markers around the timed run, on their own stdout lines


def progress(message: str) -> None:
    print(f"[bench/etl {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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


def _export_args(prefix: str, run_id: str) -> dict[str, str]:
    """The interactions export's arguments, the same for both engines."""
    return {
        "bucket": BUCKET, "run_id": run_id, "schema": str(ROOT / "schemas" / "interactions.avsc"),
        "source_type": "s3_parquet", "source": f"s3://{BUCKET}/{prefix}",
        "mapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts_ms",
        "event_type_column": "event", "event_value_column": "value", "chunk_rows": str(FILE_ROWS),
        "dedupe": os.environ.get("BENCH_DEDUPE", "global"),
    }  # fmt: skip


def run_export(s3: Any, prefix: str, run_id: str) -> int:
    """The Python shell job as Glue runs it (it makes its own S3 client, from AWS_ENDPOINT_URL)."""
    import export_interactions

    return int(export_interactions.main(_export_args(prefix, run_id))["rowsWritten"])


def run_spark(s3: Any, prefix: str, run_id: str) -> int:
    """The Glue for Spark job (export_spark.py --dataset interactions) on local[2], S3 staged through a local folder."""
    import export_spark

    with tempfile.TemporaryDirectory(prefix="bench-spark-") as staging:
        args = {**_export_args(prefix, run_id), "dataset": "interactions", "spark_io": f"local:{staging}"}
        return int(export_spark.main(args)["rowsWritten"])


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


# What is measured: name -> (S3 client, source prefix, run id) -> rows written. "export" (the Python shell job) is
# judged against "floor", "spark" against itself across sizes and against "export".
ENGINES: dict[str, Callable[[Any, str, str], int]] = {"export": run_export, "spark": run_spark, "floor": run_floor}


# ---------------------------------------------------------------- the process tree (Linux /proc)


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state, ppid, ..., utime (11), stime, cutime, cstime (14)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def tree_pids(root: int) -> list[int]:
    """`root` and every process descending from it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def tree_cpu_seconds(root: int) -> float | None:
    """CPU time of `root`'s tree: each live process's user + system time, plus that of the children it has reaped
    (the JVM's finished Python workers, reaped by PySpark's daemon). None where there is no /proc."""
    if not os.path.isdir("/proc"):
        return None
    ticks = 0
    for pid in tree_pids(root):
        if (fields := _stat_fields(pid)) is not None:
            ticks += sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_kib(root: int) -> tuple[int, int]:
    """(memory of `root`'s tree in KiB: the sum of its processes' proportional set sizes, else resident sizes; how
    many processes)."""
    pids, total = tree_pids(root), 0
    for pid in pids:
        for path, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
            try:
                with open(path) as lines:
                    total += next(int(line.split()[1]) for line in lines if line.startswith(field))
                break
            except (OSError, StopIteration):
                continue
    return total, len(pids)


class TreeSampler(threading.Thread):
    """Samples the memory of a child's process tree every SAMPLE_SECONDS until stopped: (monotonic time, KiB)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.samples, self.processes = root, [(time.monotonic(), 0)], 1
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set() and os.path.isdir("/proc"):
            kib, count = _tree_kib(self.root)
            self.samples.append((time.monotonic(), kib))
            self.processes = max(self.processes, count)
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peak_mb(self) -> float:
        return max(kib for _, kib in self.samples) / 1024

    def at_mb(self, moment: float) -> float | None:
        """The memory at `moment`: the last sample taken before it."""
        before = [kib for t, kib in self.samples if t <= moment]
        return before[-1] / 1024 if before else None

    def above_mb(self, start: float, end: float) -> float | None:
        """The peak while the timed run ran minus the memory at its start."""
        during = [kib for t, kib in self.samples if start <= t <= end]
        baseline = self.at_mb(start)
        return max(during) / 1024 - baseline if baseline is not None and during else None


# ---------------------------------------------------------------- one measurement, in a child process


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
    cold = time.perf_counter()
    ENGINES[engine](s3, WARM, "warm-up")  # one-time imports and set-up (the JVM) are not timed
    cold_seconds = time.perf_counter() - cold
    print(START, flush=True)
    baseline = _reset_peak()
    started, cpu_started, tree_started = time.perf_counter(), time.process_time(), tree_cpu_seconds(os.getpid())
    written = ENGINES[engine](s3, SOURCE, "bench")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    tree_ended = tree_cpu_seconds(os.getpid())
    print(END, flush=True)
    tree_cpu = tree_ended - tree_started if tree_ended is not None and tree_started is not None else None
    peak = _memory_kib("VmHWM") if baseline is not None else None
    above = (peak - baseline) / 1024 if peak is not None and baseline is not None else None
    print(json.dumps({"rows": rows, "written": written, "seconds": seconds, "cold_seconds": cold_seconds,
                      "cpu_seconds": tree_cpu if tree_cpu is not None else cpu_seconds,
                      "baseline_mb": baseline / 1024 if baseline else None, "above_mb": above}))  # fmt: skip


def _env(endpoint: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env |= {"PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("", "lambdas", "glue_jobs")),
            "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(256 * 1024), "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "PYSPARK_SUBMIT_ARGS": "--conf spark.ui.showConsoleProgress=false pyspark-shell"}  # fmt: skip
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
    sampler = TreeSampler(proc.pid)
    sampler.start()
    marks: dict[str, float] = {}
    lines: list[str] = []
    for raw in proc.stdout or []:
        line = raw.decode(errors="replace").strip()
        if line in (START, END):
            marks[line] = time.monotonic()
        elif line:
            lines.append(line)
    _, status, usage = os.wait4(proc.pid, 0)
    sampler.stop()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"bench child {engine} {rows} failed with exit code {os.waitstatus_to_exitcode(status)}")
    result: dict[str, Any] = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    if result["written"] != rows:
        raise SystemExit(f"bench child {engine} wrote {result['written']:,} rows of {rows:,}: not a like-for-like run")
    result["peak_mb"] = max(usage.ru_maxrss / 1024, sampler.peak_mb())  # Linux: ru_maxrss in kilobytes
    result["processes"] = sampler.processes
    if sampler.processes > 1:  # a JVM and Python workers: the tree's samples, not one process's high-water mark
        result["baseline_mb"] = sampler.at_mb(marks.get(START, 0.0))
        result["above_mb"] = sampler.above_mb(marks.get(START, 0.0), marks.get(END, 0.0))
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["rows_per_cpu_s"] = result["rows"] / result["cpu_seconds"]
    return result


# ---------------------------------------------------------------- the report


def verdict(name: str, measured: float, op: str, goal: float) -> str:
    holds = measured >= goal if op == ">=" else measured <= goal
    return f"TARGET {name}: {measured:.2f}x (goal {op} {goal}x) {'HOLDS' if holds else 'MISSES'}"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _ratio(results: dict[tuple[str, str], dict[str, Any]], a: tuple[str, str], b: tuple[str, str], key: str) -> str:
    return f"{results[a][key] / results[b][key]:.2f}x" if a in results and b in results else "-"


def report(results: dict[tuple[str, str], dict[str, Any]], skipped: dict[str, str]) -> None:
    print(
        f"export_interactions --dedupe {os.environ.get('BENCH_DEDUPE', 'global')}, {FILE_ROWS:,}-row parts; spark: "
        "export_spark on local[2]; floor: pyarrow parquet -> CSV, one object per 250k-row file; S3 = moto_server in "
        "another process; CPU and memory of each child's whole process tree"
    )
    print(f"{'size':>4} {'engine':>6} {'rows/s':>10} {'rows/cpu-s':>10} {'vs floor':>8} {'peak MB':>7} "
          f"{'baseline MB':>11} {'above MB':>8} {'cold s':>6}")  # fmt: skip
    for (engine, size), r in results.items():
        ratio = _ratio(results, (engine, size), ("floor", size), "rows_per_cpu_s")
        print(f"{size:>4} {engine:>6} {r['rows_per_s']:>10,.0f} {r['rows_per_cpu_s']:>10,.0f} {ratio:>8} "
              f"{r['peak_mb']:>7,.0f} {_mb(r['baseline_mb']):>11} {_mb(r['above_mb']):>8} "
              f"{r['cold_seconds']:>6.1f}")  # fmt: skip
    if "export" in ENGINE_CHOICE and "floor" in ENGINE_CHOICE:
        _export_targets(results)
    if "spark" in ENGINE_CHOICE:
        _spark_targets(results, skipped.get("spark"))


def _export_targets(results: dict[tuple[str, str], dict[str, Any]]) -> None:
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


def _spark_targets(results: dict[tuple[str, str], dict[str, Any]], skipped: str | None) -> None:
    goals = [("spark_seconds_10M_vs_1M", "<=", SPARK_SCALING_GOAL),
             ("spark_memory_above_baseline_10M_vs_1M", "<=", SPARK_MEMORY_GOAL),
             ("spark_rows_per_cpu_s_vs_python_shell_10M", ">=", SPARK_CPU_GOAL)]  # fmt: skip
    if skipped or not {"1M", "10M"} <= set(SIZES):
        why = skipped or "needs both sizes, 1M and 10M"
        for name, op, goal in goals:
            print(f"TARGET {name}: not measured ({why}) (goal {op} {goal}x) MISSES")
        return
    small, large = results[("spark", "1M")], results[("spark", "10M")]
    shell = results.get(("export", "10M"))
    for key in ("rows_per_s", "rows_per_cpu_s"):
        if shell:
            print(f"INFO spark {key} at 10M vs the Python shell job: {large[key] / shell[key]:.2f}x "
                  f"({large[key]:,.0f} vs {shell[key]:,.0f})")  # fmt: skip
    print(
        f"INFO spark whole-tree peak 10M vs 1M: {large['peak_mb'] / small['peak_mb']:.2f}x "
        f"({small['peak_mb']:,.0f} -> {large['peak_mb']:,.0f} MB); cold start {small['cold_seconds']:.1f} s"
    )
    print(verdict(goals[0][0], large["seconds"] / small["seconds"], "<=", SPARK_SCALING_GOAL))
    if small["above_mb"] and large["above_mb"] is not None:
        print(verdict(goals[1][0], large["above_mb"] / small["above_mb"], "<=", SPARK_MEMORY_GOAL))
    else:
        print(f"TARGET {goals[1][0]}: not measured (needs Linux /proc) (goal <= {SPARK_MEMORY_GOAL}x) MISSES")
    if shell:
        print(verdict(goals[2][0], large["rows_per_cpu_s"] / shell["rows_per_cpu_s"], ">=", SPARK_CPU_GOAL))
    else:
        why = "needs the export engine too: --engines export,spark"
        print(f"TARGET {goals[2][0]}: not measured ({why}) (goal >= {SPARK_CPU_GOAL}x) MISSES")


ENGINE_CHOICE: list[str] = list(ENGINES)


def main(engines: list[str]) -> None:
    skipped: dict[str, str] = {}
    if "spark" in engines and shutil.which("java") is None:
        skipped["spark"] = "no Java runtime for PySpark: `make test` installs openjdk-17-jre-headless"
        engines = [e for e in engines if e != "spark"]
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for size, rows in SIZES.items():
        progress(f"{size}: generating {rows:,} rows in a moto_server")
        with moto_server_with_data(rows) as endpoint:
            for engine in engines:
                progress(f"{size}: {engine} (child process: warm-up, then the timed run)")
                results[(engine, size)] = measure(engine, rows, endpoint)
                r = results[(engine, size)]
                progress(f"{size}: {engine} {r['seconds']:.1f} s, {r['rows_per_s']:,.0f} rows/s, "
                         f"peak {r['peak_mb']:,.0f} MB")  # fmt: skip
    report(results, skipped)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help="comma-separated subset of 1M,10M (default: both)")
    parser.add_argument("--engines", help=f"comma-separated subset of {','.join(ENGINES)} (default: all)")
    parser.add_argument("--dedupe", choices=("global", "chunk"), default="global", help="the export's --dedupe")
    cli = parser.parse_args()
    if cli.child:
        child(cli.child[0], int(cli.child[1]))
    else:
        SIZES = {k: v for k, v in SIZES.items() if not cli.sizes or k in cli.sizes.split(",")}
        unknown = set(cli.engines.split(",")) - set(ENGINES) if cli.engines else set()
        if unknown:
            parser.error(f"--engines: {', '.join(sorted(unknown))} unknown; choose from {', '.join(ENGINES)}")
        ENGINE_CHOICE = [e for e in ENGINES if not cli.engines or e in cli.engines.split(",")]
        os.environ["BENCH_DEDUPE"] = cli.dedupe  # inherited by the children
        main(ENGINE_CHOICE)
