"""The review store: what people decided about each segment's translation, kept beside the dataset.

`<dataset>.review.sqlite` (a sibling of the dataset folder, which the review app never modifies) holds an
append-only log of actions and the state they lead to, one SQLite transaction per action, in WAL mode with
`synchronous=FULL`: an action the app has acknowledged survives a crash or a kill -9. Reopening the store
restores everything, undo and redo included.

Per segment and target a translation is `unreviewed`, `accepted` (as is), `edited` (a post-edit stored beside
the machine translation, which is kept) or `rejected` (with a reason). Every action records who, when, which
segment and target, the status and text before and after, and the seconds the reviewer spent on it.

A review belongs to the machine translation it was made on: the store keeps that text, and a later dataset
whose translation of the segment differs (another checkpoint, say) does not inherit it (`current_reviews`).

Post-editing effort is HTER: TER of the machine translation against its post-edit (sacrebleu, with the settings
`seedmt.core.metric_settings.metrics_for` gives every TER seedmt computes), as a percentage like every TER
sacrebleu reports."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seedmt.core.clock import utc_now
from seedmt.core.errors import SeedMTError
from seedmt.core.store import Store, StoreError, StoreKind

STORE_SUFFIX = ".review.sqlite"
UNREVIEWED, ACCEPTED, EDITED, REJECTED = "unreviewed", "accepted", "edited", "rejected"
STATUSES = (UNREVIEWED, ACCEPTED, EDITED, REJECTED)
# What a reviewer can do to one segment's translation, and the status it leads to.
ACTION_STATUS = {"accept": ACCEPTED, "edit": EDITED, "reject": REJECTED, "reset": UNREVIEWED}
# The log entry of an action refused because the segment had changed meanwhile: it keeps the losing text.
CONFLICT = "rejected-concurrent"


class ReviewStoreError(StoreError):
    """The review store cannot be opened or read (corrupt, from a newer seedmt, not a review store)."""


class LogMovedOn(SeedMTError):
    """Undo or redo asked on a log that has moved on since the client saw it (another tab acted)."""


class UndoConflict(SeedMTError):
    """Undo or redo refused: the action being undone (or the undo being redone) is no longer in effect, because
    someone changed the segment since. Nothing was changed; `current` is what the segment holds now."""

    def __init__(self, current: Review, which: str) -> None:
        super().__init__(f"cannot {which}: {current.segment_id} ({current.target}) was changed since by "
                         f"{current.reviewer or 'someone'} at {current.updated_at}; their version is kept")
        self.current = current


class ReviewConflict(SeedMTError):
    """The segment changed since the client loaded it (another tab or reviewer saved first)."""

    def __init__(self, current: Review, attempted: dict) -> None:
        super().__init__(f"{current.segment_id} ({current.target}) was changed by {current.reviewer or 'someone'} "
                         f"at {current.updated_at}; reload to see both versions")
        self.current, self.attempted = current, attempted


@dataclass(frozen=True)
class Review:
    segment_id: str
    target: str
    status: str
    machine_translation: str  # the translation the review was made on
    post_edit: str | None  # the reviewer's text when edited
    reason: str | None  # why it was rejected
    reviewer: str | None
    updated_at: str | None
    version: int  # increases with every action on this segment and target
    seconds: float  # time spent on it, all actions together
    via: str | None = None  # None: decided in the review app; "xliff:<file name>": imported from a CAT tool's file

    @property
    def final_text(self) -> str | None:
        """The translation a reviewer stands behind: the post-edit, or the machine translation accepted as is."""
        if self.status == EDITED:
            return self.post_edit
        if self.status == ACCEPTED:
            return self.machine_translation
        return None


QA_DECISIONS = ("resolve", "ignore")


def text_sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Control characters (NUL included) and line separators: a post-edit is one segment of one line, written as it
# is into TMX, Moses files and references.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def check_segment_text(text: str, field: str) -> None:
    """ValueError naming `field` when the text holds a control character or a line break."""
    found = CONTROL_CHARACTERS.search(text or "")
    if found:
        raise ValueError(f"{field}: U+{ord(found.group()):04X} at character {found.start()} (control characters "
                         "and line breaks cannot be part of a segment)")


def store_path(dataset_dir: Path) -> Path:
    dataset_dir = Path(dataset_dir)
    return dataset_dir.with_name(dataset_dir.name + STORE_SUFFIX)


def hter(machine_translation: str, post_edit: str, target: str) -> float:
    """TER of the machine translation against the post-edit, in percent (0: nothing changed), with the TER
    settings every seedmt score uses for `target` (`seedmt.core.metric_settings`)."""
    return round(_ter(target).sentence_score(machine_translation, [post_edit]).score, 2)


@lru_cache(maxsize=64)
def _ter(target: str):
    from seedmt.core.metric_settings import metrics_for

    return metrics_for(target).ter()


_RELEASE_1 = (  # seedmt 0.1: the version in a `meta` table
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS state (
    segment_id TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL, machine_translation TEXT NOT NULL,
    post_edit TEXT, reason TEXT, reviewer TEXT, updated_at TEXT, version INTEGER NOT NULL,
    seconds REAL NOT NULL DEFAULT 0, PRIMARY KEY (segment_id, target))""",
    """CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, reviewer TEXT NOT NULL, segment_id TEXT NOT NULL,
    target TEXT NOT NULL, action TEXT NOT NULL, status_before TEXT NOT NULL, status_after TEXT NOT NULL,
    text_before TEXT, text_after TEXT, reason_before TEXT, reason_after TEXT, seconds REAL NOT NULL DEFAULT 0,
    undoes INTEGER REFERENCES actions(id), undone INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS actions_by_reviewer ON actions (reviewer, id)",
)
REVIEW_STORE = StoreKind(
    "review store",
    migrations=(
        _RELEASE_1,
        # 2: the version in PRAGMA user_version; a segment's log (conflicts, history) found by index
        ("DROP TABLE meta", "CREATE INDEX IF NOT EXISTS actions_by_segment ON actions (segment_id, target, id)"),
        # 3: where a decision was made (NULL: the review app; "xliff:<file>": a CAT tool's file imported), on the
        # state and, before and after, on each action (undo and redo restore it)
        # and what reviewers decided about QA findings (seedmt.cat.qa): resolved, or ignored with a reason, for the
        # text they were found in
        ("ALTER TABLE state ADD COLUMN via TEXT", "ALTER TABLE actions ADD COLUMN via_before TEXT",
         "ALTER TABLE actions ADD COLUMN via TEXT",
         # append-only: a second reviewer's decision on the same finding is added, never written over the first
         """CREATE TABLE qa_decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, segment_id TEXT NOT NULL,
         target TEXT NOT NULL, check_id TEXT NOT NULL, text_sha256 TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT,
         reviewer TEXT NOT NULL, at TEXT NOT NULL)""",
         "CREATE INDEX qa_decisions_by_finding ON qa_decisions (segment_id, target, check_id, text_sha256, id)"),
    ),
    synchronous="FULL",  # an acknowledged action is on disk
    legacy_tables=frozenset({"state", "actions"}),
)


class ReviewStore(Store):
    """The SQLite review store of one dataset. Thread-safe for the web app: one connection, one lock."""

    kind = REVIEW_STORE

    def __init__(self, path: Path, *, create: bool = True) -> None:
        if not Path(path).exists() and not create:
            raise ReviewStoreError(f"{path}: no review store (nothing has been reviewed yet)")
        try:
            super().__init__(path)
        except StoreError as err:
            raise ReviewStoreError(str(err)) from None

    # --- reading ---------------------------------------------------------------------------------------

    def reviews(self) -> dict[tuple[str, str], Review]:
        """Every reviewed (segment_id, target)'s current state."""
        with self._lock:
            rows = self._connection.execute("SELECT * FROM state").fetchall()
        return {(row[0], row[1]): Review(*row) for row in rows}

    def review(self, segment_id: str, target: str) -> Review | None:
        with self._lock:
            row = self._connection.execute("SELECT * FROM state WHERE segment_id=? AND target=?",
                                           (segment_id, target)).fetchone()
        return Review(*row) if row else None

    def actions(self, segment_id: str | None = None) -> list[dict]:
        query, args = "SELECT * FROM actions", ()
        if segment_id is not None:
            query, args = query + " WHERE segment_id=?", (segment_id,)
        with self._lock:
            cursor = self._connection.execute(query + " ORDER BY id", args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    # --- writing: one transaction per action ------------------------------------------------------------

    def act(self, segment_id: str, target: str, action: str, *, machine_translation: str, reviewer: str,
            text: str | None = None, reason: str | None = None, expected_version: int | None = None,
            seconds: float = 0.0, via: str | None = None) -> Review:
        """Apply `action` (accept, edit, reject, reset). `expected_version`: the version the client saw; a
        different current version raises ReviewConflict and nothing is written. `via`: where the decision was
        made when not in the review app ("xliff:<file name>" for a CAT tool's file)."""
        if action not in ACTION_STATUS:
            raise ValueError(f"unknown action '{action}' (one of {', '.join(ACTION_STATUS)})")
        if action == "edit" and (text is None or not text.strip()):
            raise ValueError("an edit needs the post-edited text")
        if action == "reject" and not (reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if action == "edit":
            check_segment_text(text, "text")
        if action == "reject":
            check_segment_text(reason, "reason")
        status = ACTION_STATUS[action]
        after_text = text.strip() if action == "edit" else None
        after_reason = reason.strip() if action == "reject" else None
        with self._transaction() as db:
            current = self._current(db, segment_id, target, machine_translation)
            if expected_version is not None and expected_version != current.version:
                # The losing side's text is kept in the log (it changes nothing and cannot be undone), so that
                # it can be restored: `rejected_concurrent_edits`.
                attempted = {"action": action, "text": text, "reason": reason, "version": expected_version}
                conflict_id = self._log(db, current, reviewer, CONFLICT, current.status, after_text, after_reason,
                                        seconds, None, via=via)
                conflict = ReviewConflict(current, {**attempted, "logged_as": conflict_id})
            else:
                conflict = None
                # A new action ends what could be redone.
                db.execute("UPDATE actions SET undone=1 WHERE reviewer=? AND action='undo'", (reviewer,))
                return self._apply(db, current, reviewer, action, status, after_text, after_reason, seconds, None,
                                   via)
        raise conflict

    def log_version(self, reviewer: str) -> int:
        """The id of this reviewer's latest entry in the log (0: none): what a client's undo or redo was
        decided on; another tab's action moves it on."""
        with self._lock:
            row = self._connection.execute("SELECT MAX(id) FROM actions WHERE reviewer=?", (reviewer,)).fetchone()
        return int(row[0] or 0)

    def rejected_concurrent_edits(self, segment_id: str, target: str) -> list[dict]:
        """Edits refused because the segment had changed since the client loaded it, newest first: the text
        the losing tab held, kept so that a person can restore it."""
        with self._lock:
            cursor = self._connection.execute(
                "SELECT id, at, reviewer, text_after, reason_after, status_after FROM actions WHERE segment_id=? "
                "AND target=? AND action=? ORDER BY id DESC", (segment_id, target, CONFLICT))
            return [{"id": row[0], "at": row[1], "reviewer": row[2], "text": row[3], "reason": row[4]}
                    for row in cursor.fetchall()]

    def undo(self, reviewer: str, expected_log_version: int | None = None) -> Review | None:
        """Undo this reviewer's latest action not undone yet (a redo counts); None when there is nothing to undo.
        `expected_log_version`: the `log_version` the client decided on; another raises LogMovedOn. That action
        must still be in effect: when anyone changed the segment since (and did not take it back), UndoConflict
        is raised and nothing changes (an undo never takes back another person's later work)."""
        with self._transaction() as db:
            self._check_log(db, reviewer, expected_log_version)
            row = db.execute("SELECT id, segment_id, target, status_before, text_before, reason_before, via_before "
                             "FROM actions "
                             "WHERE reviewer=? AND undone=0 AND action NOT IN ('undo', ?) ORDER BY id DESC LIMIT 1",
                             (reviewer, CONFLICT)).fetchone()
            if row is None:
                return None
            action_id, segment_id, target, status, text, reason, via = row
            current = self._current(db, segment_id, target, None)
            if not self._still_in_effect(db, action_id, segment_id, target):
                raise UndoConflict(current, "undo")
            db.execute("UPDATE actions SET undone=1 WHERE id=?", (action_id,))
            return self._apply(db, current, reviewer, "undo", status, text, reason, 0.0, action_id, via)

    def redo(self, reviewer: str, expected_log_version: int | None = None) -> Review | None:
        """Redo what this reviewer's latest undo took back, as long as nothing new was done since (a new
        action clears the redo history, as in any editor); None when there is nothing to redo. Like undo, it
        acts only while that undo is still in effect (else UndoConflict, nothing changed)."""
        with self._transaction() as db:
            self._check_log(db, reviewer, expected_log_version)
            row = db.execute("SELECT u.id, a.segment_id, a.target, a.status_after, a.text_after, a.reason_after, "
                             "a.via FROM actions u JOIN actions a ON a.id = u.undoes WHERE u.reviewer=? AND "
                             "u.action='undo' AND u.undone=0 ORDER BY u.id DESC LIMIT 1", (reviewer,)).fetchone()
            if row is None:
                return None
            undo_id, segment_id, target, status, text, reason, via = row
            current = self._current(db, segment_id, target, None)
            if not self._still_in_effect(db, undo_id, segment_id, target):
                raise UndoConflict(current, "redo")
            db.execute("UPDATE actions SET undone=1 WHERE id=?", (undo_id,))
            return self._apply(db, current, reviewer, "redo", status, text, reason, 0.0, undo_id, via)

    @staticmethod
    def _still_in_effect(db, entry_id: int, segment_id: str, target: str) -> bool:
        """Whether the log entry `entry_id` is still what the segment holds: every change made to the segment
        after it was itself taken back (an action and the undo of it cancel out); refused attempts change
        nothing."""
        open_changes: list[int] = []
        for change_id, action, undoes in db.execute(
                "SELECT id, action, undoes FROM actions WHERE segment_id=? AND target=? AND id>? AND action != ? "
                "ORDER BY id", (segment_id, target, entry_id, CONFLICT)):
            if action == "undo" and open_changes and open_changes[-1] == undoes:
                open_changes.pop()
            else:
                open_changes.append(change_id)
        return not open_changes

    def _current(self, db, segment_id: str, target: str, machine_translation: str | None) -> Review:
        row = db.execute("SELECT * FROM state WHERE segment_id=? AND target=?", (segment_id, target)).fetchone()
        if row is not None:
            review = Review(*row)
            if machine_translation is not None and review.machine_translation != machine_translation:
                # The dataset holds a new translation of this segment: the old review does not apply to it.
                return Review(segment_id, target, UNREVIEWED, machine_translation, None, None, None, None,
                              review.version, 0.0)
            return review
        if machine_translation is None:
            raise ReviewStoreError(f"{segment_id} ({target}) has no review to undo or redo")
        return Review(segment_id, target, UNREVIEWED, machine_translation, None, None, None, None, 0, 0.0)

    # --- QA findings -------------------------------------------------------------------------------------------

    def decide_qa(self, segment_id: str, target: str, check: str, text: str, decision: str, reviewer: str,
                  reason: str | None = None) -> dict:
        """Record that a QA finding of `check` in this translation `text` is resolved, or ignored (with a reason).
        The decision holds for that text: a finding in a later post-edit is shown again."""
        if decision not in QA_DECISIONS:
            raise ValueError(f"unknown decision '{decision}' (one of {', '.join(QA_DECISIONS)})")
        if decision == "ignore" and not (reason or "").strip():
            raise ValueError("ignoring a QA finding needs a reason")
        if reason:
            check_segment_text(reason, "reason")
        row = {"segment_id": segment_id, "target": target, "check": check, "text_sha256": text_sha256(text),
               "decision": decision, "reason": (reason or "").strip() or None, "reviewer": reviewer, "at": utc_now()}
        with self._transaction() as db:
            db.execute("INSERT INTO qa_decisions (segment_id, target, check_id, text_sha256, decision, reason, "
                       "reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(row.values()))
        return row

    def qa_decisions(self) -> dict[tuple[str, str, str, str], dict]:
        """(segment_id, target, check, sha256 of the text) -> the latest decision on that finding (every
        decision is kept: `qa_decision_log`)."""
        return {(r["segment_id"], r["target"], r["check_id"], r["text_sha256"]): r for r in self.qa_decision_log()}

    def qa_decision_log(self) -> list[dict]:
        """Every decision on a QA finding, oldest first."""
        with self._lock:
            cursor = self._connection.execute("SELECT * FROM qa_decisions ORDER BY id")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def content_sha256(self) -> str:
        """sha256 of every state and every logged action, in order: the same for the same reviews whether or not
        the write-ahead log has been folded into the file yet."""
        import hashlib
        import json

        digest = hashlib.sha256()
        with self._reading() as db:
            for table, order in (("state", "segment_id, target"), ("actions", "id"),
                                 ("qa_decisions", "id")):
                for row in db.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                    digest.update(json.dumps([table, *row], ensure_ascii=False).encode("utf-8") + b"\n")
        return digest.hexdigest()

    @staticmethod
    def _check_log(db, reviewer: str, expected: int | None) -> None:
        if expected is None:
            return
        row = db.execute("SELECT MAX(id) FROM actions WHERE reviewer=?", (reviewer,)).fetchone()
        if int(row[0] or 0) != expected:
            raise LogMovedOn(f"{reviewer}'s review log changed since this page loaded it (another tab?); reload "
                             "before undoing or redoing")

    @staticmethod
    def _log(db, current: Review, reviewer: str, action: str, status: str, text: str | None, reason: str | None,
             seconds: float, undoes: int | None, at: str | None = None, via: str | None = None) -> int:
        cursor = db.execute(
            "INSERT INTO actions (at, reviewer, segment_id, target, action, status_before, status_after, "
            "text_before, text_after, reason_before, reason_after, seconds, undoes, via_before, via) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at or utc_now(), reviewer, current.segment_id, current.target, action, current.status, status,
             current.post_edit, text, current.reason, reason, max(0.0, float(seconds)), undoes, current.via, via))
        return int(cursor.lastrowid)

    def _apply(self, db, current: Review, reviewer: str, action: str, status: str, text: str | None,
               reason: str | None, seconds: float, undoes: int | None, via: str | None = None) -> Review:
        now = utc_now()
        self._log(db, current, reviewer, action, status, text, reason, seconds, undoes, now, via)
        updated = Review(current.segment_id, current.target, status, current.machine_translation, text, reason,
                         reviewer, now, current.version + 1, current.seconds + max(0.0, float(seconds)), via)
        db.execute("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (updated.segment_id, updated.target, updated.status, updated.machine_translation,
                    updated.post_edit, updated.reason, updated.reviewer, updated.updated_at, updated.version,
                    updated.seconds, updated.via))
        return updated


def store_fingerprint(path: Path) -> str:
    """sha256 of the review store's content at `path` (`ReviewStore.content_sha256`)."""
    store = ReviewStore(path, create=False)
    try:
        return store.content_sha256()
    finally:
        store.close()


def current_reviews(dataset_dir: Path, translations: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], Review]:
    """Reviews from the store beside `dataset_dir` that apply to these (segment_id, target, translation):
    a review made on another translation of the segment does not. Empty when there is no store."""
    path = store_path(dataset_dir)
    if not path.exists():
        return {}
    store = ReviewStore(path, create=False)
    try:
        reviews = store.reviews()
    finally:
        store.close()
    return {(segment_id, target): reviews[(segment_id, target)] for segment_id, target, text in translations
            if (segment_id, target) in reviews and reviews[(segment_id, target)].machine_translation == text
            and reviews[(segment_id, target)].status != UNREVIEWED}


def review_versions(dataset_dir: Path) -> dict[tuple[str, str], int]:
    """(segment_id, target) -> the version of its state in the store beside `dataset_dir` (what an action's
    `expected_version` is checked against); empty when there is no store."""
    path = store_path(dataset_dir)
    if not path.exists():
        return {}
    store = ReviewStore(path, create=False)
    try:
        return {key: review.version for key, review in store.reviews().items()}
    finally:
        store.close()
