"""What each route of `seedmt review` accepts: one pydantic model per request body, and the size limits.

A body is checked twice before a handler sees it: its size while it streams in (`BODY_LIMITS`, enforced by the
app's guard, answered with 413 before anything is stored), then its shape (`parse`: wrong types, unknown
actions, numbers out of range, strings over their limit, JSON nested deeper than pydantic's parser allows all
answer 400 naming the field). Handlers only ever see valid data.

Limits, for the people who run the app:
- a post-edit may be up to `POST_EDIT_FACTOR` times its source segment's length plus `POST_EDIT_SLACK`
  characters, never more than `MAX_POST_EDIT_CHARS`; a rejection reason up to `MAX_REASON_CHARS`;
- the alignment editor takes documents of up to `MAX_DOCUMENT_CHARS` characters each (a long book), a
  `seedmt align` output or a gold file of up to `MAX_LINKS_CHARS`, in a request of at most
  `BODY_LIMITS['/api/align']` bytes."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seedmt.core.errors import SeedMTError

MAX_POST_EDIT_CHARS = 20_000
POST_EDIT_FACTOR = 8
POST_EDIT_SLACK = 200
MAX_REASON_CHARS = 2_000
MAX_DOCUMENT_CHARS = 1_000_000
MAX_LINKS_CHARS = 4_000_000
MAX_ID_CHARS = 500
MAX_QUERY_CHARS = 200  # a concordance search
MAX_VERSION = 2 ** 62  # fits SQLite's 64-bit integers with room to count up

KIB, MIB = 1024, 1024 * 1024
# Request bodies, in bytes, by route (the first pattern that matches the path). JSON may escape a character
# as up to 12 bytes (a surrogate pair), so the review action's limit is generous for its 20,000 characters.
BODY_LIMITS: list[tuple[re.Pattern, int]] = [
    (re.compile(r"/api/act"), 256 * KIB),
    (re.compile(r"/api/(undo|redo)"), 4 * KIB),
    (re.compile(r"/api/align"), 16 * MIB),
    (re.compile(r"/api/align/\d+/gold"), 8 * MIB),
    (re.compile(r"/api/align/\d+/(op|undo|redo|save)"), 4 * KIB),
    (re.compile(r"/api/campaign/judge"), 256 * KIB),
    (re.compile(r"/api/qa"), 8 * KIB),
]
DEFAULT_BODY_LIMIT = 0  # any other route (pages, static files, GET requests) takes no body


def body_limit(path: str) -> int:
    for pattern, limit in BODY_LIMITS:
        if pattern.fullmatch(path):
            return limit
    return DEFAULT_BODY_LIMIT


def max_post_edit_chars(source: str) -> int:
    """The longest post-edit a segment can hold: a multiple of its source, within a ceiling."""
    return min(MAX_POST_EDIT_CHARS, POST_EDIT_FACTOR * len(source) + POST_EDIT_SLACK)


class _Body(BaseModel):
    # strict: "3" is not a version and true is not a number; unknown fields are ignored (newer clients)
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


Version = Field(ge=0, le=MAX_VERSION, description="the version of the state the client saw")


class ReviewAction(_Body):
    segment_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    target: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    action: Literal["accept", "edit", "reject", "reset"]
    version: int = Version
    text: str | None = Field(default=None, max_length=MAX_POST_EDIT_CHARS)
    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS)
    seconds: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)


class ReviewStep(_Body):
    """Undo or redo: `version` is the reviewer's latest action the client knows of (0: none)."""
    version: int = Version


class QaDecision(_Body):
    """A QA finding of the segment's current text resolved, or ignored with a reason."""
    segment_id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    target: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    check: str = Field(min_length=1, max_length=64)
    decision: Literal["resolve", "ignore"]
    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS)


class NewAlignment(_Body):
    source_text: str | None = Field(default=None, max_length=MAX_DOCUMENT_CHARS)
    target_text: str | None = Field(default=None, max_length=MAX_DOCUMENT_CHARS)
    source_name: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    target_name: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    source_lang: str | None = Field(default=None, max_length=32)
    target_lang: str | None = Field(default=None, max_length=32)
    links_text: str | None = Field(default=None, max_length=MAX_LINKS_CHARS)
    import_doc: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    import_target: str | None = Field(default=None, max_length=32)


class AlignmentStep(_Body):
    """Undo, redo or save of an alignment session at the version the client saw."""
    version: int = Version
    force: bool = False


class AlignmentOperation(_Body):
    version: int = Version
    operation: Literal["accept", "merge", "split", "move", "unlink", "link", "realign"]
    k: int = Field(ge=0, le=MAX_VERSION)
    side: Literal["source", "target", "both"] | None = None
    direction: Literal[-1, 1] | None = None


class AlignmentGold(_Body):
    version: int = Version
    text: str = Field(max_length=MAX_LINKS_CHARS)


class ErrorSpan(_Body):
    start: int = Field(ge=0, le=MAX_POST_EDIT_CHARS * 10)
    end: int = Field(ge=0, le=MAX_POST_EDIT_CHARS * 10)
    severity: Literal["minor", "major"]
    category: str | None = Field(default=None, max_length=64)


class TranslationMarks(_Body):
    score: int | None = Field(default=None, ge=0, le=100)
    spans: list[ErrorSpan] = Field(default_factory=list, max_length=200)


class Judgement(_Body):
    """A human-evaluation judgement of one item: per translation (in the order shown) its error spans (offsets in
    Unicode code points) and, for ESA, its score; `position`: the item's place in the annotator's queue;
    `version` is the item's judgement version the page saw (0: not judged yet)."""
    position: int = Field(ge=0, le=MAX_VERSION)
    version: int = Version
    seconds: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    translations: list[TranslationMarks] = Field(min_length=1, max_length=32)


class BadRequest(SeedMTError):
    """A body that does not match its route's model; `field` names the first offending field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse(model: type[_Body], raw: bytes) -> _Body:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = first["msg"] if field is None else f"{field}: {first['msg']}"
        raise BadRequest(message, field) from None
