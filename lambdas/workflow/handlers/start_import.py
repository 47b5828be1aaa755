"""Start Import: start an import job for one dataset, or reuse the one that already imported the same data."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import imports, polling
from workflow.steps import ImportStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = ImportStep.model_validate(event)
    arn = next(d["datasetArn"] for d in step.datasets if d["datasetType"] == step.dataset["datasetType"])
    result = imports.start_import(step.params, step.dataset, arn)
    logger.info("import", extra={"result": result})
    return polling.advance(result, None, step.params, f"{step.dataset['datasetType']} import")
