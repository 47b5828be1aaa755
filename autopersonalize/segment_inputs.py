"""The inputs of a params file's batch segment jobs for an offline `run`: given as local files, checked before anything
runs, and uploaded to the offline stack's bucket where the jobs read them.

Offline, the stack's bucket holds only what `run` puts there (the exports), so a job's jobInput object would not be
found; `--segment-input JOB=FILE` names the local file it holds on AWS. Each line is checked as the recipe expects it:
`{"itemId": "..."}` for aws-item-affinity (at most 500), `{"itemAttributes": "..."}` for aws-item-attribute-affinity
(at most 10): the limits of the recipe pages, which the emulator also enforces.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from autopersonalize.errors import PipelineError

OPTION = "--segment-input"
LIMITS = {"aws-item-affinity": ("itemId", 500), "aws-item-attribute-affinity": ("itemAttributes", 10)}
EXAMPLES = {"itemId": '{"itemId": "1"}', "itemAttributes": '{"itemAttributes": "ITEMS.GENRES = \\"Comedy\\""}'}


def parse_option(values: list[str] | None) -> dict[str, Path]:
    """JOB=FILE pairs of the repeated option, by job name."""
    given: dict[str, Path] = {}
    for value in values or []:
        name, sep, file = value.partition("=")
        if not sep or not name or not file:
            raise PipelineError(f"{OPTION} {value}: expected JOB=FILE, the name of a batch segment job and its input")
        if name in given:
            raise PipelineError(f"{OPTION} {name}=...: given twice; give each job one input file")
        given[name] = Path(file)
    return given


def job_inputs(
    document: dict[str, Any], recipes: dict[str, str], given: dict[str, Path]
) -> tuple[dict[str, bytes], list[str]]:
    """(S3 key -> the file's bytes, what was assumed) for every batch segment job of `document` (native params);
    `recipes`: solution name -> recipe name. PipelineError names a job without input, an input for no job, or the
    first bad line of a file."""
    jobs = {str(j["name"]): j for j in document.get("batchSegmentJobs") or []}
    unknown = sorted(set(given) - set(jobs))
    if unknown:
        names = ", ".join(jobs) or "none"
        raise PipelineError(f"{OPTION} {unknown[0]}=...: the params have no batch segment job {unknown[0]} ({names})")
    uploads, assumptions = {}, []
    for index, (name, job) in enumerate(jobs.items()):
        recipe = recipes.get(str(job["solution"]), "")
        key_name, limit = LIMITS.get(recipe, ("itemId", 500))
        if name not in given:
            raise PipelineError(
                f"batchSegmentJobs[{index}] ({name}): offline, the bucket holds only the exports, so its input "
                f"{job['jobInput']} would not be found; give the file with {OPTION} {name}=FILE (JSON lines of "
                f"{EXAMPLES[key_name]})"
            )
        body, count = _checked(given[name], name, key_name, limit, recipe)
        key = str(job["jobInput"]).removeprefix("s3://").partition("/")[2]
        uploads[key] = body
        assumptions.append(
            f"batch segment job {name}: its input is {given[name]} ({count} lines), put at {key} in the offline "
            "bucket; its jobInput and jobOutput name the offline stack's bucket"
        )
    return uploads, assumptions


def on_bucket(template: dict[str, Any], bucket: str) -> dict[str, Any]:
    """The template with every batch job's jobInput and jobOutput in `bucket` (same keys): offline there is only the
    stack's bucket. (A batch inference job without jobInput answers every user: publish_params fills it in.)"""
    moved = copy.deepcopy(template)
    for job in [*(moved.get("batchSegmentJobs") or []), *(moved.get("batchInferenceJobs") or [])]:
        for field in ("jobInput", "jobOutput"):
            if field in job:
                job[field] = f"s3://{bucket}/{str(job[field]).removeprefix('s3://').partition('/')[2]}"
    return moved


def _checked(path: Path, name: str, key_name: str, limit: int, recipe: str) -> tuple[bytes, int]:
    where = f"{OPTION} {name}={path}"
    try:
        body = path.read_bytes()
        text = body.decode("utf-8")
    except FileNotFoundError:
        raise PipelineError(f"{where}: file not found; check the path") from None
    except IsADirectoryError:
        raise PipelineError(f"{where}: is a directory; give the JSON lines file") from None
    except UnicodeDecodeError:
        raise PipelineError(f"{where}: not UTF-8 text; the input is JSON lines") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise PipelineError(f"{where}: empty; give one {EXAMPLES[key_name]} per line")
    if len(lines) > limit:
        raise PipelineError(f"{where}: {len(lines)} lines; {recipe} takes at most {limit} per job. Split it.")
    for number, line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise PipelineError(f"{where}: line {number} is not JSON ({error.msg})") from None
        if not isinstance(value, dict) or not isinstance(value.get(key_name), str) or not value[key_name]:
            raise PipelineError(
                f"{where}: line {number} has no {key_name!r} string; {recipe} takes {EXAMPLES[key_name]} per line"
            )
    return body, len(lines)
