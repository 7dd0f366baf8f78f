"""What a post-edit changed: a word-level diff (character-level for scripts written without spaces)."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from seedmt.core.languages import written_without_spaces

_WORD = re.compile(r"\s+|\w+|[^\w\s]")


def tokens(text: str, target: str) -> list[str]:
    """Words, spaces and punctuation (or characters), so that joining them gives the text back."""
    return list(text) if written_without_spaces(target) else _WORD.findall(text)


def diff(before: str, after: str, target: str) -> list[tuple[str, str]]:
    """(op, text) runs: op is "same", "deleted" or "inserted"; the "same" and "deleted" runs spell `before`,
    the "same" and "inserted" runs spell `after`."""
    a, b = tokens(before, target), tokens(after, target)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("deleted", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("inserted", "".join(b[j1:j2])))
    return out
