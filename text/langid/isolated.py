"""Identify many documents in a short-lived child process.

heliport keeps its ~0.8 GB model for the life of the process that loaded it (deleting it does not give the
memory back), so a translation job identifies its documents in a child process that exits before the
translation model loads: that memory is gone before the largest allocation of the run."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from seedmt.core.errors import SeedMTError
from seedmt.text.langid.decision import LanguageDecision, LanguageUndecidedError, detect_language
from seedmt.text.langid.identifiers import DEFAULT_IDENTIFIER, IdentifierConfigError
from seedmt.text.langid.sidecar import decide_language, read_sidecar

Outcome = LanguageDecision | LanguageUndecidedError


def decide_languages(documents: list[tuple[str, Path, str | None]], lid: str = DEFAULT_IDENTIFIER) -> list[Outcome]:
    """`decide_language` for each (text, seed path, override), an undecided document as its error. The documents
    that need identification are identified in a child process (about 1 s)."""
    results: list[Outcome | None] = []
    to_detect: list[int] = []
    for index, (text, path, override) in enumerate(documents):
        try:
            decision = decide_language(text, path, override, lid) if override or read_sidecar(path) else None
        except LanguageUndecidedError as err:
            decision = err
        results.append(decision)
        if decision is None:
            to_detect.append(index)
    if to_detect:
        texts = [documents[i][0] for i in to_detect]
        for index, outcome in zip(to_detect, _detect_in_child(texts, lid)):
            results[index] = outcome if isinstance(outcome, LanguageDecision) else LanguageUndecidedError(*outcome)
    return results  # type: ignore[return-value]


def detect_all(texts: list[str], lid: str) -> list[LanguageDecision | tuple]:
    """Decisions, or an undecided document's error as its arguments (so that it crosses a process boundary
    with its candidates)."""
    outcomes: list[LanguageDecision | tuple] = []
    for text in texts:
        try:
            outcomes.append(detect_language(text, lid))
        except LanguageUndecidedError as err:
            outcomes.append((str(err), err.candidates, err.label))
    return outcomes


def _detect_in_child(texts: list[str], lid: str) -> list[LanguageDecision | tuple]:
    """`detect_all` in a fresh interpreter (`python -m seedmt.text.langid.isolated`): the request goes in as
    JSON on stdin, the outcomes come back as JSON on stdout. A fresh interpreter rather than a forked one: a
    fork would share (and copy on write) everything this process holds, and multiprocessing's spawn would
    re-run a caller's script that has no `if __name__ == "__main__"` guard."""
    request = json.dumps({"lid": lid, "texts": texts})
    # The child finds seedmt where this process found it (a notebook or script may have extended sys.path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=request, text=True, capture_output=True,
                              encoding="utf-8", env=env)
    except OSError:
        return detect_all(texts, lid)  # no child process possible here: identify in this one
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no message"]
        if last[0].startswith(IdentifierConfigError.__name__ + ": "):
            raise IdentifierConfigError(last[0].split(": ", 1)[1])
        raise SeedMTError(f"language identification failed in its child process: {done.stderr.strip()[-2000:]}")
    return [LanguageDecision(**item) if isinstance(item, dict) else tuple(item) for item in json.loads(done.stdout)]


def _serve_one_request() -> None:
    request = json.load(sys.stdin)
    outcomes = detect_all(request["texts"], request["lid"])
    json.dump([asdict(o) if isinstance(o, LanguageDecision) else list(o) for o in outcomes], sys.stdout)


if __name__ == "__main__":
    _serve_one_request()
