"""Where the deployable tree lives: the repository checkout, or its copy inside an installed wheel.

The tree is what `sam deploy` ships and the offline stack deploys: template.yaml, lambdas/, statemachine/, glue_jobs/,
schemas/ and params/. In a checkout (and an editable install) it is the repository root. A wheel cannot put files
beside the package, so `pip install .` copies the tree into the package as `autopersonalize/sam_app/` (the build hook
in setup.py); the Lambda packages `workflow` and `serving` stay inside it and reach sys.path only through
`import_lambdas()`, in the CLI and the offline stack, as the Lambda runtime puts a function's CodeUri on its path.
"""

from __future__ import annotations

import sys
from pathlib import Path

TREE = ("template.yaml", "lambdas", "statemachine", "glue_jobs", "schemas", "params")
PACKAGED = Path(__file__).resolve().parent / "sam_app"
CHECKOUT = Path(__file__).resolve().parents[1]
ROOT = PACKAGED if (PACKAGED / "template.yaml").is_file() else CHECKOUT
TEMPLATE = ROOT / "template.yaml"
LAMBDAS = ROOT / "lambdas"
GLUE_JOBS = ROOT / "glue_jobs"
SCHEMAS = ROOT / "schemas"
PARAMS = ROOT / "params"


def import_glue_jobs() -> None:
    """Make the Glue jobs' shared modules importable (once), as the offline stack's Glue runner does."""
    if str(GLUE_JOBS) not in sys.path:
        sys.path.insert(0, str(GLUE_JOBS))


def import_lambdas() -> None:
    """Make `workflow` and `serving` importable from lambdas/ (once), for the CLI and the offline stack."""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))
