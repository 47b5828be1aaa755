"""One parse per JSONPath: moto's Step Functions interpreter builds a new yacc parser for every path it evaluates.

moto 5.2.5 calls `jsonpath_ng.parse` (ResultPath) and `jsonpath_ng.ext.parse` (InputPath, OutputPath, `.$` fields of
Parameters and ResultSelector, Choice variables) at each evaluation; each call constructs a fresh LALR parser
(~1-2 ms) for a path the definition fixes. A demo run evaluates about a thousand of them. The parsed expressions are
immutable (their nodes set their fields only in `__init__`; `find` and `update_or_create` change the data, not the
expression), so one parse per distinct path serves every execution and thread. A path that fails to parse raises as
before: exceptions are not cached.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_PATHS = 1024  # distinct paths kept; the two state machines hold a few hundred


def install() -> None:
    """Cache the parses of the interpreter's two JSONPath entry points (idempotent)."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        parse: Any = module.parse
        if not hasattr(parse, "cache_info"):
            module.parse = functools.lru_cache(maxsize=MAX_PATHS)(parse)  # type: ignore[attr-defined]
