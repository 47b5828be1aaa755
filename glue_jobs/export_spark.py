"""Glue for Spark job (Glue 5.0): export one dataset (--dataset users|items|interactions) with the Spark engine, the
same contract as export_<dataset>.py. Plain PySpark: Glue's argv is parsed like the Python shell jobs' (no awsglue)."""

from __future__ import annotations

import sys
from typing import Any

from job_io import ExportArgumentError, main_from_argv, require
from spark_export import run_spark_export

DATASETS = ("users", "items", "interactions")


def main(args: dict[str, str]) -> dict[str, Any]:
    dataset = require(args, "dataset", "users, items or interactions (the stack sets it per job)")
    if dataset not in DATASETS:
        raise ExportArgumentError(f"--dataset {dataset!r} is not one of {', '.join(DATASETS)}")
    return run_spark_export(dataset, args)


if __name__ == "__main__":
    main_from_argv(main, sys.argv[1:])
