"""Offline AWS: moto wiring, the Personalize emulator, template.yaml deployed into it, in-process Lambdas and Glue."""

from autopersonalize.local.aws import offline_aws

__all__ = ["offline_aws"]
