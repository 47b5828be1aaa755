"""Offline AWS: moto wiring, the Personalize emulator, template.yaml deployed into it, in-process Lambdas and Glue."""

from autopersonalize.local import service_models

service_models.share()  # before moto is imported: moto makes botocore sessions at import

from autopersonalize.local.aws import offline_aws  # noqa: E402

__all__ = ["offline_aws"]
