"""Markdown files render as written: every code fence closes, and no doc points to files a user of the repo lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# CommonMark: a fence is 3+ backticks or tildes after at most 3 spaces; an opening backtick fence's info string has no
# backtick; the closing fence uses the same character, is at least as long, and has nothing after it but spaces.
OPENING = re.compile(r"^ {0,3}(?P<fence>`{3,}(?=[^`]*$)|~{3,})")
SKIPPED = {".git", ".venv", "node_modules", "build", "__pycache__"}


def markdown_files() -> list[Path]:
    return sorted(
        p
        for p in REPO.rglob("*.md")
        if not any(part in SKIPPED or part.startswith(".venv") for part in p.relative_to(REPO).parts)
    )


def fence_problems(text: str) -> list[str]:
    """Fences that do not pair up at line starts: one never closed, or a fence line inside a code block that cannot
    close it (text after it, as in "``` Files may be"): CommonMark renders what follows as code, up to the next closer.
    A shorter fence, or one of the other character, inside a block is content (a fenced example) and is fine."""
    problems, open_fence, opened_at = [], "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not open_fence:
            match = OPENING.match(line)
            if match:
                open_fence, opened_at = match["fence"], number
            continue
        run = re.match(rf" {{0,3}}{re.escape(open_fence[0])}{{{len(open_fence)},}}", line)
        if run and line[run.end() :].strip():
            problems.append(f"line {number}: {line.strip()[:40]!r} inside the code block of line {opened_at}")
        elif run:
            open_fence = ""
    if open_fence:
        problems.append(f"line {opened_at}: code block never closed")
    return problems


def test_fence_problems_finds_a_fence_closed_inside_a_line() -> None:
    text = "## Run\n```bash\nrun it\n``` Files may be CSV.\n\n## Deploy\n```bash\ndeploy\n```\n"

    assert fence_problems(text) == [
        "line 4: '``` Files may be CSV.' inside the code block of line 2",
        "line 7: '```bash' inside the code block of line 2",
    ]


def test_fence_problems_finds_a_block_never_closed() -> None:
    assert fence_problems("text\n~~~\ncode\n") == ["line 2: code block never closed"]


def test_fence_problems_accepts_longer_closers_and_nested_shorter_fences() -> None:
    text = "````markdown\n```python\nx\n```\n`````\n~~~\n```\n~~~\n"

    assert fence_problems(text) == []


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_markdown_fences_are_balanced(path: Path) -> None:
    assert fence_problems(path.read_text(encoding="utf-8")) == []


def test_docs_point_only_to_files_in_the_repository() -> None:
    pattern = re.compile(r"\.\./shared/|DESIGN\.md|STYLE\.md")
    code = [p for folder in ("autopersonalize", "lambdas", "glue_jobs") for p in sorted((REPO / folder).rglob("*.py"))]
    found = [
        f"{p.relative_to(REPO)}:{n}"
        for p in [*markdown_files(), REPO / "template.yaml", *code]
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]

    assert found == []
