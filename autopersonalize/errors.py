"""The CLI's user-facing error, in a module without heavy imports: every command can raise it before loading the
offline stack, and the CLI turns it into one line on stderr (or a JSON document) and exit 2."""

from __future__ import annotations


class PipelineError(RuntimeError):
    """The pipeline could not run: the message says which input or step, what was wrong and what to do."""
