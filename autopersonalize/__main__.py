"""`python -m autopersonalize`: the same command line as the `autopersonalize` console script."""

from __future__ import annotations

import sys

from autopersonalize.cli import program

sys.exit(program())
