"""The alignment editor's sessions: a document and its translation, their links, and every state the links went
through, kept in `<dataset>.alignments.sqlite` beside the dataset.

A session starts from the aligner (two files, a `seedmt align` output with its two files, or the seed and the
translation of a `references import`). Every operation a person makes (`seedmt.align.editing`) or a
re-alignment between their anchors is one SQLite transaction (WAL, `synchronous=FULL`) that stores the new state
of the links before the app acknowledges it; undo and redo move between stored states and survive a restart.
The aligner's first output (`raw`) is kept as it was.

Saving writes the links as segment-level references (`references import` semantics: a merged group shares one
reference, a sentence with no counterpart gets `skip`) with a provenance file that says they were corrected by a
person: who, when, and how many links were accepted, edited, re-aligned or left as the aligner made them."""
from __future__ import annotations

import hashlib
import json
import re
import tempfile
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path

from seedmt.align.aligner import DocumentPair
from seedmt.align.editing import (EditError, accept, in_document_order, label_realigned, link_unlinked, merge, move,
                                  split, unlink)
from seedmt.align.gold import Pair, gold_scores
from seedmt.align.documents import links_from_jsonl
from seedmt.align.embed import embedder_for
from seedmt.align.links import ORIGINS, AlignSettings, Link
from seedmt.core.clock import utc_now
from seedmt.core.errors import SeedMTError
from seedmt.core.store import Store, StoreError, StoreKind
from seedmt.core.languages import sentence_joiner, text_direction
from seedmt.eval.reference_import import reference_lines
from seedmt.eval.references import (ALIGNMENT_EDITOR, IMPORTED, Provenance, ReferenceOverwriteError, reference_path,
                                    write_reference)
from seedmt.text.prepare import PreparationError, prepare_text

STORE_SUFFIX = ".alignments.sqlite"
KEPT_PAIRS = 8
# Operations of the editor: name -> function(links, k, **arguments) -> links
OPERATIONS = {"accept": accept, "merge": merge, "split": split, "move": move, "unlink": unlink}

ALIGNMENT_STORE = StoreKind(
    "alignment store",
    migrations=(
        (  # seedmt 0.1: the version in a `meta` table
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
            """CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT,
    doc_id TEXT NOT NULL, source_lang TEXT NOT NULL, target_lang TEXT NOT NULL,
    source_name TEXT NOT NULL, target_name TEXT NOT NULL, target_sha256 TEXT NOT NULL, source_sha256 TEXT NOT NULL,
    segment_ids TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, raw TEXT NOT NULL,
    source_starts TEXT NOT NULL, target_starts TEXT NOT NULL,
    gold TEXT, current INTEGER NOT NULL, top INTEGER NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS states (
    session_id INTEGER NOT NULL, version INTEGER NOT NULL, links TEXT NOT NULL, operation TEXT NOT NULL,
    reviewer TEXT, at TEXT NOT NULL, PRIMARY KEY (session_id, version))""",
        ),
        ("DROP TABLE meta",),  # 2: the version in PRAGMA user_version
    ),
    synchronous="FULL",  # an acknowledged operation is on disk
    legacy_tables=frozenset({"sessions", "states"}),
)

class AlignmentStoreError(StoreError):
    """The alignment store cannot be opened, or a session or operation does not exist."""


class StaleVersion(SeedMTError):
    """The session changed since the client loaded it (another tab saved first)."""


def store_path(dataset_dir: Path) -> Path:
    dataset_dir = Path(dataset_dir)
    return dataset_dir.with_name(dataset_dir.name + STORE_SUFFIX)


def links_to_json(links: list[Link]) -> str:
    return json.dumps([[list(x.source_indices), list(x.target_indices), x.score, x.needs_review, x.origin]
                       for x in links])


def links_from_json(text: str) -> list[Link]:
    return [Link(tuple(s), tuple(t), score, review, origin) for s, t, score, review, origin in json.loads(text)]


@dataclass
class Session:
    id: int
    name: str
    doc_id: str
    source_lang: str
    target_lang: str
    source_name: str
    target_name: str
    source_sha256: str
    target_sha256: str
    segment_ids: list[str]
    source: list[str]
    target: list[str]
    paragraph_starts: tuple[list[bool], list[bool]]
    raw: list[Link]
    gold: list[Pair] | None
    version: int
    top: int
    links: list[Link]

    @property
    def joiners(self) -> tuple[str, str]:
        return sentence_joiner(self.source_lang), sentence_joiner(self.target_lang)

    def counts(self) -> dict[str, int]:
        linked = [x for x in self.links if x.is_linked]
        return {**{origin: sum(x.origin == origin for x in linked) for origin in ORIGINS},
                "links": len(linked), "unlinked": sum(not x.is_linked for x in self.links),
                "needs_review": sum(x.needs_review for x in self.links)}

    def gold_figures(self) -> dict | None:
        if self.gold is None:
            return None
        test = [(x.source_indices, x.target_indices) for x in self.links]
        return {k: round(v, 4) for k, v in asdict(gold_scores([(test, self.gold)])).items()}

    def view(self) -> dict:
        """What the editor page shows (texts go to the page as text)."""
        return {"id": self.id, "name": self.name, "doc_id": self.doc_id, "version": self.version,
                "can_redo": self.version < self.top, "source_lang": self.source_lang, "target_lang": self.target_lang,
                "source_name": self.source_name, "target_name": self.target_name,
                "source_dir": text_direction(self.source_lang), "target_dir": text_direction(self.target_lang),
                "links": [{"source": [[i, self.source[i]] for i in x.source_indices],
                           "target": [[j, self.target[j]] for j in x.target_indices],
                           "score": x.score, "needs_review": x.needs_review, "origin": x.origin,
                           "anchor": x.is_anchor} for x in self.links],
                "counts": self.counts(), "gold": self.gold_figures()}


class AlignmentStore(Store):
    """SQLite store of alignment sessions. Thread-safe for the web app: one connection, one lock."""

    kind = ALIGNMENT_STORE

    def __init__(self, path: Path) -> None:
        try:
            super().__init__(path)
        except StoreError as err:
            raise AlignmentStoreError(str(err)) from None

    def create(self, *, name: str, doc_id: str, source_lang: str, target_lang: str, source_name: str,
               target_name: str, source_sha256: str, target_sha256: str, segment_ids: list[str], source: list[str],
               target: list[str], paragraph_starts: tuple[list[bool], list[bool]], links: list[Link],
               reviewer: str) -> int:
        at = utc_now()
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO sessions (name, created_at, created_by, doc_id, source_lang, target_lang, source_name, "
                "target_name, source_sha256, target_sha256, segment_ids, source, target, raw, source_starts, "
                "target_starts, current, top) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)",
                (name, at, reviewer, doc_id, source_lang, target_lang, source_name, target_name, source_sha256,
                 target_sha256, json.dumps(segment_ids), json.dumps(source, ensure_ascii=False),
                 json.dumps(target, ensure_ascii=False), links_to_json(links), json.dumps(paragraph_starts[0]),
                 json.dumps(paragraph_starts[1])))
            session_id = int(cursor.lastrowid)
            db.execute("INSERT INTO states VALUES (?, 0, ?, 'aligner', ?, ?)",
                       (session_id, links_to_json(links), reviewer, at))
        return session_id

    def sessions(self) -> list[dict]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT id, name, created_at, created_by, doc_id, source_lang, target_lang, current "
                "FROM sessions ORDER BY id DESC").fetchall()
        keys = ("id", "name", "created_at", "created_by", "doc_id", "source_lang", "target_lang", "version")
        return [dict(zip(keys, row)) for row in rows]

    def session(self, session_id: int) -> Session:
        _check_id(session_id)
        with self._lock:
            row = self._connection.execute(
                "SELECT id, name, doc_id, source_lang, target_lang, source_name, target_name, source_sha256, "
                "target_sha256, segment_ids, source, target, raw, gold, current, top, source_starts, target_starts "
                "FROM sessions WHERE id=?",
                (session_id,)).fetchone()
            if row is None:
                raise AlignmentStoreError(f"no alignment session {session_id}")
            state = self._connection.execute("SELECT links FROM states WHERE session_id=? AND version=?",
                                             (session_id, row[14])).fetchone()
        gold = [(tuple(s), tuple(t)) for s, t in json.loads(row[13])] if row[13] else None
        return Session(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], json.loads(row[9]),
                       json.loads(row[10]), json.loads(row[11]), (json.loads(row[16]), json.loads(row[17])),
                       links_from_json(row[12]), gold, row[14], row[15], links_from_json(state[0]))

    def record(self, session_id: int, expected_version: int | None, links: list[Link], operation: str,
               reviewer: str) -> int:
        """Store the next state (dropping any undone states after the current one); returns its version."""
        _check_id(session_id)
        with self._transaction() as db:
            current = _current_version(db, session_id)
            if expected_version is not None and expected_version != current:
                raise StaleVersion(f"alignment session {session_id} changed (now at version {current}); reload")
            db.execute("DELETE FROM states WHERE session_id=? AND version>?", (session_id, current))
            db.execute("INSERT INTO states VALUES (?,?,?,?,?,?)",
                       (session_id, current + 1, links_to_json(links), operation, reviewer, utc_now()))
            db.execute("UPDATE sessions SET current=?, top=? WHERE id=?", (current + 1, current + 1, session_id))
        return current + 1

    def step(self, session_id: int, expected_version: int | None, direction: int) -> int:
        """Undo (-1) or redo (+1): move to the previous or next stored state; returns the version now current."""
        _check_id(session_id)
        with self._transaction() as db:
            current, top = _current_version(db, session_id), _top_version(db, session_id)
            if expected_version is not None and expected_version != current:
                raise StaleVersion(f"alignment session {session_id} changed (now at version {current}); reload")
            wanted = current + direction
            if 0 <= wanted <= top:
                db.execute("UPDATE sessions SET current=? WHERE id=?", (wanted, session_id))
                return wanted
            return current

    def set_gold(self, session_id: int, expected_version: int | None, gold: list[Pair]) -> None:
        _check_id(session_id)
        with self._transaction() as db:
            current = _current_version(db, session_id)
            if expected_version is not None and expected_version != current:
                raise StaleVersion(f"alignment session {session_id} changed (now at version {current}); reload")
            db.execute("UPDATE sessions SET gold=? WHERE id=?",
                       (json.dumps([[list(s), list(t)] for s, t in gold]), session_id))

    def operations(self, session_id: int) -> list[str]:
        """The operations behind the current state, oldest first (undone ones left out)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT operation FROM states WHERE session_id=? AND version>0 AND version<= "
                "(SELECT current FROM sessions WHERE id=?) ORDER BY version", (session_id, session_id)).fetchall()
        return [row[0] for row in rows]


def _check_id(session_id: int) -> None:
    if not 0 <= session_id < 2 ** 63:  # SQLite's integers; a larger id names no session
        raise AlignmentStoreError(f"no alignment session {session_id}")


def _current_version(db, session_id: int) -> int:
    row = db.execute("SELECT current FROM sessions WHERE id=?", (session_id,)).fetchone()
    if row is None:
        raise AlignmentStoreError(f"no alignment session {session_id}")
    return int(row[0])


def _top_version(db, session_id: int) -> int:
    return int(db.execute("SELECT top FROM sessions WHERE id=?", (session_id,)).fetchone()[0])


class AlignmentEditor:
    """The editor's logic over a store: start sessions, apply operations, re-align, save references."""

    def __init__(self, store: AlignmentStore, embedder, reviewer: str, references_dir: Path | None,
                 settings: AlignSettings | None = None) -> None:
        self.store, self.embedder, self.reviewer = store, embedder, reviewer
        self.references_dir = references_dir
        self.settings = settings or AlignSettings()
        # Sessions' embedded document pairs, the most recently used last (a few are kept: one is a few MB per
        # thousand sentences, and re-embedding a reopened session takes seconds).
        self._pairs: OrderedDict[int, DocumentPair] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, source_text: str, target_text: str, *, source_name: str, target_name: str,
              source_lang: str | None = None, target_lang: str | None = None,
              links_jsonl: str | None = None) -> int:
        """A session over two texts (files the person picked), aligned by the aligner, or with the links of a
        `seedmt align` output given as `links_jsonl`. The names are the files' names as the browser gave them:
        kept (made safe) for the record, never used as paths."""
        source_name, target_name = _safe_name(source_name), _safe_name(target_name)
        with tempfile.TemporaryDirectory(prefix="seedmt-align-") as folder:
            paths = []
            for role, name, text in (("source", source_name, source_text), ("target", target_name, target_text)):
                path = Path(folder) / role / name
                path.parent.mkdir()
                path.write_text(text, encoding="utf-8")
                paths.append(path)
            prepared = []
            for path, name, lang, role in ((paths[0], source_name, source_lang, "source"),
                                           (paths[1], target_name, target_lang, "target")):
                try:
                    prepared.append(prepare_text(path, lang or None, role=role))
                except PreparationError as err:
                    raise AlignmentStoreError(_for_the_page(err.problem, name, path, role)) from None
        return self._start(prepared[0], prepared[1], source_name, target_name, links_jsonl)

    def start_from_files(self, source_path: Path, target_path: Path, source_lang: str | None,
                         target_lang: str | None) -> int:
        source = prepare_text(source_path, source_lang, role="source")
        target = prepare_text(target_path, target_lang, role="target")
        return self._start(source, target, str(source_path), str(target_path), None)

    def _start(self, source, target, source_name: str, target_name: str, links_jsonl: str | None) -> int:
        sentences, translation = source.sentences, target.sentences
        joiners = (sentence_joiner(source.lang), sentence_joiner(target.lang))
        starts = (source.paragraph_starts, target.paragraph_starts)
        pair = DocumentPair(sentences, translation, embedder_for(self.embedder, source.lang, target.lang), joiners,
                            self.settings, starts)
        if links_jsonl:
            given = links_from_jsonl(links_jsonl, "links", sentences, translation, joiners)
            links = [pair.rescored(x) for x in given]
        else:
            links = pair.align()
        links = in_document_order(links, len(sentences), len(translation))
        session_id = self.store.create(
            name=f"{Path(source_name).name} ↔ {Path(target_name).name}", doc_id=source.document.doc_id,
            source_lang=source.lang, target_lang=target.lang, source_name=source_name, target_name=target_name,
            source_sha256=source.document.sha256,
            target_sha256=hashlib.sha256(target.document.text.encode("utf-8")).hexdigest(),
            segment_ids=[s.segment_id for s in source.segments], source=sentences, target=translation,
            paragraph_starts=starts, links=links, reviewer=self.reviewer)
        self._remember(session_id, pair)
        return session_id

    def _remember(self, session_id: int, pair: DocumentPair) -> None:
        with self._lock:
            self._pairs[session_id] = pair
            self._pairs.move_to_end(session_id)
            while len(self._pairs) > KEPT_PAIRS:
                self._pairs.popitem(last=False)

    def pair(self, session: Session) -> DocumentPair:
        with self._lock:
            pair = self._pairs.get(session.id)
        if pair is None:
            pair = DocumentPair(session.source, session.target,
                                embedder_for(self.embedder, session.source_lang, session.target_lang),
                                session.joiners, self.settings, session.paragraph_starts)
        self._remember(session.id, pair)
        return pair

    def apply(self, session_id: int, version: int | None, operation: str, k: int, side: str | None = None,
              direction: int | None = None) -> Session:
        session = self.store.session(session_id)
        links = session.links
        if operation == "realign":
            pair = self.pair(session)
            new = label_realigned(pair.align([x for x in links if x.is_anchor]), session.raw)
            new = in_document_order(new, len(session.source), len(session.target))
        elif operation == "link":
            new = link_unlinked(links, k, len(session.source), len(session.target))
        elif operation in OPERATIONS:
            arguments = {}
            if operation == "merge":
                arguments["side"] = side or "both"
            elif operation == "move":
                arguments.update(side=side or "source", direction=1 if (direction or 1) > 0 else -1)
            elif operation == "unlink":
                arguments["side"] = side
            new = OPERATIONS[operation](links, k, **arguments)
        else:
            raise EditError(f"unknown operation '{operation}'")
        if operation != "realign":
            pair = self.pair(session)
            new = in_document_order([pair.rescored(x) if x.score is None else x for x in new],
                                    len(session.source), len(session.target))
        self.store.record(session_id, version, new, operation, self.reviewer)
        return self.store.session(session_id)

    def step(self, session_id: int, version: int | None, direction: int) -> Session:
        self.store.step(session_id, version, direction)
        return self.store.session(session_id)

    def load_gold(self, session_id: int, version: int | None, gold_text: str) -> Session:
        from seedmt.align.gold import parse_alignment

        session = self.store.session(session_id)
        gold = parse_alignment(gold_text, "the gold file")
        for sources, targets in gold:
            if any(not 0 <= i < len(session.source) for i in sources) or \
                    any(not 0 <= j < len(session.target) for j in targets):
                raise AlignmentStoreError("the gold file names sentences these documents do not have")
        self.store.set_gold(session_id, version, gold)
        return self.store.session(session_id)

    def save(self, session_id: int, *, force: bool = False, version: int | None = None) -> Path:
        """Write the session's links as references/<target>/<doc_id>.jsonl with a provenance file.
        `version`: the state the person saw; another one raises StaleVersion and nothing is written."""
        if self.references_dir is None:
            raise AlignmentStoreError("no references folder to save to (start seedmt review with --references DIR)")
        session = self.store.session(session_id)
        if version is not None and version != session.version:
            raise StaleVersion(f"alignment session {session_id} changed (now at version {session.version}); "
                               "reload before saving")
        segments = [_Segment(sid, text) for sid, text in zip(session.segment_ids, session.source)]
        lines = reference_lines(segments, session.links, session.target, session.target_lang,
                                session.target_name)
        counts = session.counts()
        operations = self.store.operations(session_id)
        provenance = Provenance(
            ALIGNMENT_EDITOR, session.doc_id, session.target_lang,
            # the names the files had when the person opened them (the texts are in the session)
            inputs=[{"role": "seed", "path": session.source_name, "sha256": session.source_sha256},
                    {"role": "translation", "path": session.target_name, "sha256": session.target_sha256}],
            settings={"aligner": asdict(self.settings),
                      "embedder": getattr(self.embedder, "name", type(self.embedder).__name__)},
            counts={"segments": len(segments), "with_reference": sum("text" in line for line in lines),
                    "joined": sum("joined_with" in line for line in lines),
                    "skipped": sum("skip" in line for line in lines),
                    "links": {origin: counts[origin] for origin in ORIGINS}, "unlinked": counts["unlinked"],
                    "operations": len(operations), "realignments": operations.count("realign")},
            reviewers=[self.reviewer],
            details={"source_lang": session.source_lang, "session": session.id, "version": session.version})
        try:
            return write_reference(self.references_dir, provenance, lines, force=force,
                                   replaces=(ALIGNMENT_EDITOR, IMPORTED))
        except ReferenceOverwriteError:
            out = reference_path(self.references_dir, session.target_lang, session.doc_id)
            raise AlignmentStoreError(f"{out} was not made by an alignment (a human or post-edited reference?); "
                                      "save with force to replace it") from None

    def anchors_jsonl(self, session_id: int) -> str:
        """The person's links (accepted and edited), for `seedmt align --anchors`."""
        session = self.store.session(session_id)
        return "".join(json.dumps(x.record(session.source, session.target, session.joiners), ensure_ascii=False)
                       + "\n" for x in session.links if x.is_anchor)


@dataclass(frozen=True)
class _Segment:
    segment_id: str
    text: str


def _for_the_page(problem: str, name: str, path: Path, role: str) -> str:
    """A preparation problem of an uploaded file as the page shows it: named as the person named the file (not
    the server's temporary copy) and with the page's advice, not the command line's."""
    problem = problem.replace(str(path), name).replace(str(path.with_suffix(".lang").name), "a .lang file")
    field = "document" if role == "source" else "translation"
    problem = re.sub(rf"pass --{role}-lang \S+( or write the code into \S+)?",
                     f"type the {field}'s language code (e.g. eng_Latn) in the form", problem)
    problem = problem.replace(f"--{role}-lang", f"the {field}'s language code")
    return f"{name}: {problem}"


def _safe_name(name: str) -> str:
    """A file name for an uploaded text (its stem becomes the document id), never a path."""
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")[:200]
    return cleaned or "document.txt"
