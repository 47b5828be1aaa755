"""Recommenders of a domain dataset group: describe-first, gated before they are served.

A recommender is served under its params name through the SSM parameter /<prefix>/<group>/recommenders/<name>, which
holds the ARN of the recommender that passed its gate. A run never retrains the served recommender in place:

- no recommender served yet, or a new recipe or trainingDataConfig (a new model): a candidate recommender is created
  beside the served one, named after the run (workflow.naming.recommender), waited for, and gated on its
  modelMetrics. Passed: Publish points the parameter at it and deletes the one it replaces. Rejected: the candidate
  is deleted here and the parameter keeps naming the served recommender, which nothing touched.
- the same model with other serving settings (minRecommendationRequestsPerSecond, itemExplorationConfig,
  enableMetadataWithRecommendations): UpdateRecommender on the served one. Personalize does not retrain for these
  (they change no model metrics), so there is nothing to gate.
- nothing changed: the served recommender is reused (started again when someone stopped it).

Evidence: CreateRecommender/UpdateRecommender/DescribeRecommender shapes and the status lifecycle (CREATE PENDING >
CREATE IN_PROGRESS > ACTIVE or CREATE FAILED; STOP ... > INACTIVE > START ... > ACTIVE; DELETE ...) are botocore's
personalize model; "If you update the recommender to modify the columns used in training, Amazon Personalize
automatically starts a full retraining" is UpdateRecommender's API reference.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow import aws, events, gate, naming
from workflow import metrics as emitted
from workflow._recipes import recipe_arn
from workflow.campaigns import same_setting
from workflow.errors import ResourceFailedError
from workflow.resources import FAILED, PENDING, find, is_ready, personalize, tags, unless_limited

NEW_MODEL = ("created", "candidate")  # actions that made a new recommender, which the gate decides on
STARTING = frozenset({"START PENDING", "START IN_PROGRESS"})


def _pointer(params: dict[str, Any], name: str) -> str:
    return naming.recommender_parameter(aws.env("PREFIX"), params["datasetGroup"]["name"], name)


def served_arn(params: dict[str, Any], name: str) -> str | None:
    """The recommender the parameter names, when it still exists and can serve (or be started)."""
    try:
        arn = str(aws.client("ssm").get_parameter(Name=_pointer(params, name))["Parameter"]["Value"])
    except ClientError as exc:
        if aws.error_code(exc) == "ParameterNotFound":
            return None
        raise
    found = _describe(arn)
    if found is None or str(found["status"]).startswith("DELETE") or found["status"] in FAILED:
        return None  # deleted by hand or failed: nothing is served under the name, a new one is made
    return arn


def _describe(arn: str) -> dict[str, Any] | None:
    try:
        return dict(personalize().describe_recommender(recommenderArn=arn)["recommender"])
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def _config(block: dict[str, Any]) -> dict[str, Any]:
    return dict(block.get("recommenderConfig") or {})


def _same_model(found: dict[str, Any], block: dict[str, Any]) -> bool:
    """Whether the served recommender was trained as the params ask: the same recipe and trainingDataConfig."""
    config = found.get("recommenderConfig") or {}
    wanted = _config(block).get("trainingDataConfig") or {}
    return found.get("recipeArn") == recipe_arn(block["recipe"]) and (config.get("trainingDataConfig") or {}) == wanted


def _ready(found: dict[str, Any]) -> bool:
    """ACTIVE with no update running; ResourceFailedError (Personalize's reason) when it or its update failed."""
    latest = found.get("latestRecommenderUpdate") or {}
    if latest.get("status") in FAILED:
        raise ResourceFailedError(found["recommenderArn"], f"update {latest['status']}", latest.get("failureReason"))
    if found["status"] in STARTING or latest.get("status") in PENDING:
        return False
    what = f"recommender {found['name']}"
    return is_ready(what, found["recommenderArn"], found["status"], found.get("failureReason"))


def _result(block: dict[str, Any], arn: str | None, served: str | None, action: str, ready: bool) -> dict[str, Any]:
    return {"recommender": block["name"], "recommenderArn": arn, "servedArn": served, "action": action, "ready": ready}


def ensure_recommender(
    params: dict[str, Any], group_arn: str, block: dict[str, Any], run_id: str, previous_action: str | None = None
) -> dict[str, Any]:
    """Idempotent (Check Recommender runs it again): the candidate of this run when there is one, else the served
    recommender, updated or started when needed; `ready` once ACTIVE."""
    served = served_arn(params, block["name"])
    name = naming.recommender(aws.env("PREFIX"), params["datasetGroup"]["name"], block["name"], run_id)
    summary = find("list_recommenders", "recommenders", name, datasetGroupArn=group_arn)
    if summary is not None:
        found = _describe(str(summary["recommenderArn"])) or {**summary, "status": "CREATE PENDING"}
        action = previous_action or ("candidate" if served else "created")
        return _result(block, found["recommenderArn"], served, action, _ready(found))
    current = _describe(served) if served else None
    if current is None or not _same_model(current, block):
        config = _config(block)
        all_tags = tags({"tags": (block.get("tags") or []) + (params.get("tags") or [])})
        created = unless_limited(
            lambda: personalize().create_recommender(
                name=name,
                datasetGroupArn=group_arn,
                recipeArn=recipe_arn(block["recipe"]),
                **({"recommenderConfig": config} if config else {}),
                **({"tags": all_tags} if all_tags else {}),
            )
        )
        arn = created["recommenderArn"] if created else None
        return _result(block, arn, served, "candidate" if served else "created", False)
    action = previous_action or "unchanged"
    latest = current.get("latestRecommenderUpdate") or {}
    if current["status"] in PENDING or current["status"] in STARTING or latest.get("status") in PENDING:
        return _result(block, served, served, action, False)
    if current["status"] == "INACTIVE":
        personalize().start_recommender(recommenderArn=served)
        return _result(block, served, served, "started", False)
    settings = latest.get("recommenderConfig") or current.get("recommenderConfig") or {}
    if not same_setting(settings, _config(block)):
        try:
            personalize().update_recommender(recommenderArn=served, recommenderConfig=_config(block))
        except ClientError as exc:  # an update already running, or a quota: look again after the wait
            if aws.error_code(exc) not in {"ResourceInUseException", "LimitExceededException"}:
                raise
        return _result(block, served, served, "updated", False)
    return _result(block, served, served, action, _ready(current))


def _gate(decision: gate.GateDecision) -> dict[str, Any]:
    """The decision as data, without GateDecision's `solution` (the result names its recommender)."""
    found = decision.model_dump(by_alias=True)
    found.pop("solution")
    return found


def _metrics(found: dict[str, Any] | None) -> dict[str, float] | None:
    values = (found or {}).get("modelMetrics") or {}
    return {k: float(v) for k, v in values.items()} or None


def evaluate(
    params: dict[str, Any], block: dict[str, Any], result: dict[str, Any], baselines: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The gate's decision on a new recommender (created or candidate), with the served one's metrics for the drop
    checks; a rejected recommender is deleted (the served one stays). A reused, updated or started recommender has no
    new model: it is reported with its metrics and stays served."""
    arn = str(result["recommenderArn"])
    found = _describe(arn)
    metrics = _metrics(found)
    served = result.get("servedArn")
    summary = {
        "recommender": block["name"],
        "recipe": block["recipe"],
        "recommenderArn": arn,
        "servedArn": served,
        "action": result["action"],
        "metrics": metrics or {},
    }
    if result["action"] not in NEW_MODEL:
        note = f"no new model ({result['action']}): the served recommender stays; the gate decides on new ones"
        decision = gate.GateDecision(solution=block["name"], passed=True, notes=[note])
        return {**summary, "gate": _gate(decision)}
    gates = [{**g, "solution": g["recommender"]} for g in params.get("metricsGate") or [] if g.get("recommender")]
    rule = gate.rule_for(
        block["name"], gates, float(aws.env("GATE_MIN_NDCG_AT_10", "0")), float(aws.env("GATE_MAX_DROP", "0.1"))
    )
    deployed = _metrics(_describe(served)) if served else None
    by_name = {name: values for name, values in (baselines or {}).items() if isinstance(values, dict)}
    decision = gate.evaluate(rule, metrics, deployed, by_name or None)
    group = params["datasetGroup"]["name"]
    emitted.gate_metrics(group, block["name"], arn, metrics or {}, rule.minimums, decision.passed, "Recommender")
    events.emit(
        "Gate Decision",
        params,
        {"recommender": block["name"], "recommenderArn": arn, "passed": decision.passed, "reasons": decision.reasons},
    )
    if not decision.passed:
        personalize().delete_recommender(recommenderArn=arn)
        summary["action"] = "rejected"
    return {**summary, "gate": _gate(decision)}


def publish(params: dict[str, Any], results: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Point each passed recommender's parameter at it, then delete the recommender it replaces (serving reads the
    parameter again when a cached ARN is gone); (parameters written, recommenders retired)."""
    written, retired = [], []
    ssm = aws.client("ssm")
    for result in results:
        if result.get("action") == "rejected" or not result.get("recommenderArn"):
            continue
        name = _pointer(params, result["recommender"])
        description = f"autopersonalize recommender {result['recommender']}"
        ssm.put_parameter(
            Name=name, Value=result["recommenderArn"], Type="String", Overwrite=True, Description=description
        )
        written.append(name)
        old = result.get("servedArn")
        if old and old != result["recommenderArn"]:
            try:
                personalize().delete_recommender(recommenderArn=old)
            except ClientError as exc:
                if aws.error_code(exc) != "ResourceNotFoundException":
                    raise
            retired.append(str(old))
    return written, retired
