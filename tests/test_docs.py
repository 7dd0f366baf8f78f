"""The documentation stays true: every `seedmt ...` command in a code block of README.md or docs/*.md parses
with today's command line (a renamed or removed flag fails here), and every page README links to exists."""
from __future__ import annotations

import re
import shlex

import pytest

from seedmt.cli import parse_arguments
from tests.helpers import REPO_ROOT

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def documented_commands() -> list[tuple[str, str]]:
    """(page, command line) for each line of a ```bash block that runs seedmt; continuations joined, comments cut."""
    found = []
    for page in PAGES:
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:1] == ["seedmt"]:
                    found.append((page.name, line.strip()))
                elif words[:3] == ["python", "-m", "seedmt"]:
                    found.append((page.name, line.strip()))
    return found


COMMANDS = documented_commands()


def test_the_documentation_shows_commands():
    assert len(COMMANDS) > 40 and {page for page, _ in COMMANDS} >= {"README.md", "align.md", "review.md"}


@pytest.mark.parametrize("page, line", COMMANDS, ids=[f"{p}: {c[:60]}" for p, c in COMMANDS])
def test_every_documented_command_parses(page, line):
    words = shlex.split(line, comments=True)
    words = words[3:] if words[0] == "python" else words[1:]
    try:
        parse_arguments(words)
    except SystemExit as stop:
        pytest.fail(f"{page}: `{line}` does not parse (exit {stop.code})")


def test_every_linked_page_exists():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
