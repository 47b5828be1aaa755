"""Glue Python shell job: export Interactions to Personalize-ready CSV parts in exports/<run-id>/interactions/."""

from __future__ import annotations

import sys
from typing import Any

from job_io import main_from_argv
from personalize_export import run_export


def main(args: dict[str, str]) -> dict[str, Any]:
    return run_export("interactions", args)


if __name__ == "__main__":
    main_from_argv(main, sys.argv[1:])
