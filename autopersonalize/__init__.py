"""autopersonalize: automation for Amazon Personalize (Glue ETL, Step Functions, gated campaigns), runnable offline."""

from __future__ import annotations

__version__ = "0.1.0"
