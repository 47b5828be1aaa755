"""Generate the params JSON schema and the Markdown params reference (docs/params.md) from the model."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from workflow._params_base import METRICS
from workflow._recipes import RECIPES, UPDATE_RECIPES

_bar = " \\| "
DRAFT = "https://json-schema.org/draft/2020-12/schema"
RULES = """\
## Rules checked across keys

Every problem is reported at once, as `json.path: what was found; what is allowed`.

- `datasetGroup.kmsKeyArn` needs `roleArn` (a role allowed to use the key), and `roleArn` is only valid with a key.
- Exactly one `Interactions` dataset; each dataset type at most once; each dataset has `schema` or `schemaFile`.
- Avro schemas (inline or files) follow Personalize's rules: a flat record in namespace
  `com.amazonaws.personalize.schema`; required fields and types per dataset type (Interactions `USER_ID`, `ITEM_ID`
  strings and `TIMESTAMP` long; Users `USER_ID`; Items `ITEM_ID`); types float, double, int, long, string, boolean,
  or a union with null; string metadata is `categorical` (or `textual`, Items only, at most one); reserved fields have
  their types (`EVENT_TYPE`, `EVENT_VALUE`, `CREATION_TIMESTAMP`, ...); unique names; metadata counts (Interactions
  at most 5, Users 1 to 25, Items 1 to 100).
- Names are unique within `solutions`, `campaigns`, `filters`, `batchInferenceJobs`, `batchSegmentJobs`; one gate
  per solution.
- Every campaign, gate and batch job names a solution of the file; a batch job's `filter` names a filter of the file.
- `trainingMode: UPDATE` only with {update}; a gate cannot gate an UPDATE solution (no metrics).
- `hpoConfig` needs `performHPO: true` and cannot set `hpoObjective` (Personalize does not support configuring it);
  `autoTrainingConfig` needs `performAutoTraining: true`;
  `eventType`/`eventsConfig`/`eventValueThreshold` need `EVENT_TYPE`/`EVENT_VALUE` in the Interactions schema;
  `eventsConfig` only with aws-user-personalization-v2 or aws-personalized-ranking-v2 (the recipes that use it);
  `optimizationObjective.itemAttribute` is a numeric Items field; `trainingDataConfig` columns exist in their schema.
- Campaigns: user-segmentation recipes cannot back one; `itemExplorationConfig` only for User-Personalization
  (`explorationWeight` 0 to 1); `enableMetadataWithRecommendations` needs an Items dataset;
  `syncWithLatestSolutionVersion: true` cannot be combined with a metrics gate on the same solution (it bypasses it).
- Batch inference jobs: not for user-segmentation or Trending-Now; `jobOutput` (of any batch job) must not be inside
  a dataset's `dataLocation`.
- User segments: a batch segment job's solution uses `aws-item-affinity` or `aws-item-attribute-affinity`; its
  filter is a `UserID` filter, which with `aws-item-attribute-affinity` must not read Interactions;
  `aws-item-attribute-affinity` needs an Items dataset; neither recipe allows `performHPO`. A gate names only metrics
  its solution reports (`hits_at_1_percent`, `recall_at_1_percent` for the two segmentation recipes, the others for
  the rest); on segment metrics only `minimums` (no campaign serves a segmentation version, and the export's
  baselines recommend items).
- Filter expressions follow `EXCLUDE|INCLUDE ItemID|UserID WHERE <Dataset>.<FIELD> IN|NOT IN (...) [AND|OR ...]
  [IF CurrentUser.<FIELD> ...]` (statements joined by `|`), read only datasets and fields the file has (no boolean or
  textual fields), never chain Items and Interactions in one statement, and read at most 5 distinct fields.
- `importMode: INCREMENTAL` cannot be checked statically: Personalize allows it only on a dataset that already had a
  FULL import, and with at least 1000 new interaction records; both are known only at run time (the import job then
  fails with Personalize's reason).
- `polling`: `initialIntervalSeconds` <= `maxIntervalSeconds` <= `maxWaitSeconds`.
- The ml_ops sample format (amazon-personalize-samples) is detected, converted and reported with a warning.
- Warnings, not errors: a `domain` dataset group (its per-domain schemas are checked by Personalize, not here), and,
  with `validate --prefix`, a derived Personalize name over 63 characters (it is cut and given a hash suffix).
"""
EXPORT = """\
## What the stack's export adds to a run

A params file that `publish_params` wrote (data under `exports/<run-id>/`) comes with the export's manifest parts
(docs/glue.md). Load Params reads them, so a run of such a file also has:

- **Warnings** in the report and the notification: the inflation warnings (same-second copies, newest events that
  repeat the history), and the note of each dataset whose source's columns changed and went on (a dropped, added,
  renamed or retyped column that no mapping reads).
- **Baselines** (popularity, the user's own history) beside each solution's metrics, which `minLiftOverBaselines`
  compares against.

What the export does about same-second copies and changed source columns is a **stack parameter**, not a params key
(`InteractionsSameSecondDuplicates`, `SourceSchemaChanges`): the export decides before any params file exists, and a
stopped export publishes none.
"""


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema editors use (by alias, draft 2020-12)."""
    return {"$schema": DRAFT, **model.model_json_schema(by_alias=True)}


def reference_markdown(model: type[BaseModel]) -> str:
    """docs/params.md: one table per block (key, type, default, meaning), then the cross-key rules."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    lines = [
        "# Params reference",
        "",
        "<!-- Generated from the model (lambdas/workflow/params.py). Regenerate with:",
        "     .venv/bin/python -m autopersonalize schema --markdown > docs/params.md -->",
        "",
        "A params file is JSON (see `params/demo.json`); `schemas/params.schema.json` gives editors completion",
        'through a `"$schema"` key. Unknown keys are errors. Keys are camelCase as in the Personalize API.',
        "",
    ]
    order = [("Params", schema)]
    seen = {"Params"}
    for _, block in order:
        for ref in _refs(block):
            if ref not in seen:
                seen.add(ref)
                order.append((ref, defs[ref]))
    for name, block in order:
        lines += _section(name, block)
    update = ", ".join(f"`{r}`" for r in sorted(UPDATE_RECIPES))
    lines += [RULES.replace("{update}", update), EXPORT]
    lines += [
        "## Recipes",
        "",
        ", ".join(f"`{r}`" for r in RECIPES) + " (or `arn:aws:personalize:::recipe/<name>`).",
        "",
    ]
    lines += ["## Metrics (metricsGate keys)", "", ", ".join(f"`{m}`" for m in METRICS) + ".", ""]
    return "\n".join(lines)


def _section(name: str, block: dict[str, Any]) -> list[str]:
    title = "Top level" if name == "Params" else name
    lines = [
        f"## {title}",
        "",
        block.get("description", ""),
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    required = set(block.get("required", []))
    for key, prop in block.get("properties", {}).items():
        default = "(required)" if key in required else _default(prop)
        meaning = prop.get("description", "").replace("|", "\\|")
        lines.append(f"| `{key}` | {_type(prop)} | {default} | {meaning} |")
    return [*lines, ""]


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return "(see block)"
    value = prop["default"]
    if isinstance(value, dict):
        return "`{}`" if not value else "(the block's defaults)"
    if value is None:
        return "none"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        ref = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{ref}](#{ref.lower()})"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"] if p.get("type") != "null")
    if "enum" in prop or "const" in prop:
        return _bar.join(f"`{v}`" for v in prop.get("enum", [prop.get("const")]))
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object":
        keys = prop.get("propertyNames", {}).get("enum")
        value = (
            _type(prop.get("additionalProperties") or {})
            if isinstance(prop.get("additionalProperties"), dict)
            else "any"
        )
        if keys and set(keys) == set(METRICS):
            return f"map of metric name ([Metrics](#metrics-metricsgate-keys)) to {value}"
        if not keys and value == "any":
            return "object"
        return f"map of {_bar.join(keys) if keys else 'string'} to {value}"
    text = " or ".join(kind) if isinstance(kind, list) else str(kind or "any")
    limits = [
        f"{label} {prop[key]}"
        for key, label in (("minimum", ">="), ("maximum", "<="), ("maxLength", "max len"))
        if key in prop
    ]
    return text + (f" ({', '.join(limits)})" if limits else "")


def _refs(block: dict[str, Any]) -> list[str]:
    """Names of the $defs a block refers to, in order of appearance."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                found.append(node["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(block.get("properties", {}))
    return found
