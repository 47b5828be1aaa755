"""Glue Python shell job: export Items to Personalize-ready CSV parts in exports/<run-id>/items/."""

from __future__ import annotations

import sys
from typing import Any

from job_io import dispatch, main_from_argv
from personalize_export import run_export


def main(args: dict[str, str]) -> dict[str, Any]:
    return dispatch("items", args, run_export)  # --engine: here, or on the dataset's Spark job


if __name__ == "__main__":
    main_from_argv(main, sys.argv[1:])
