"""Translation memory and concordance over every pair a project holds: references, post-edits and translations
reviewers accepted, imported TMX and XLIFF files.

`<dataset>.tm.sqlite` beside the dataset (`memory_path`) holds the pairs and a SQLite FTS5 index of their words
(character bigrams in scripts written without spaces), each key tagged with its language. A fuzzy lookup reads the
index's lists of pairs for the segment's rarest words (a few short posting lists, however large the memory),
keeps the pairs that share the most of them (each word weighted by its rarity), and scores those candidates with rapidfuzz's Levenshtein ratio on the whole source: the match percentage CAT tools
show, with the edit operations that turn the memory's source into the segment (the differences to highlight).
A concordance search finds a word or phrase in sources or targets the same way, then checks the actual text.

The memory is derived from files the project keeps: a damaged one is moved aside and built again."""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seedmt.cat.qa import Pair
from seedmt.core.clock import utc_now
from seedmt.core.languages import written_without_spaces
from seedmt.core.store import Store, StoreKind

MEMORY_SUFFIX = ".tm.sqlite"
MIN_MATCH = 50.0  # percent: weaker fuzzy matches are noise to a translator
CANDIDATES = 40  # pairs the index proposes per lookup, scored with rapidfuzz
RARE_KEYS = 12  # the query's rarest keys the index is asked for
MAX_POSTINGS = 60_000  # pairs read from the index per lookup (the rarest keys' lists, in order, up to this)
CONCORDANCE_LIMIT = 50

TRANSLATION_MEMORY = StoreKind(
    "translation memory",
    migrations=((
        """CREATE TABLE units (id INTEGER PRIMARY KEY, source_lang TEXT NOT NULL, target_lang TEXT NOT NULL,
        source TEXT NOT NULL, target TEXT NOT NULL, origin TEXT NOT NULL, updated_at TEXT NOT NULL,
        UNIQUE (source_lang, target_lang, source, target))""",
        # the words (or bigrams) of each side, tagged with the language: "engl:memory", "zhoh:翻译"
        # contentless: the keys are computed again from `units` whenever they are needed
        "CREATE VIRTUAL TABLE unit_keys USING fts5(source_keys, target_keys, content='', "
        "tokenize='unicode61 remove_diacritics 0')",
        "CREATE VIRTUAL TABLE key_counts USING fts5vocab(unit_keys, col)",
    ),),
    disposable=True,  # rebuilt from the references, the review store and the imported files
    synchronous="NORMAL",
)

_WORD = re.compile(r"\w+")


def memory_path(dataset_dir: Path | str) -> Path:
    dataset_dir = Path(dataset_dir)
    return dataset_dir.with_name(dataset_dir.name + MEMORY_SUFFIX)


def _tag(lang: str) -> str:
    # FTS5's tokenizer splits on "_" and ":": the tag is letters only, glued to the word
    return "".join(c for c in lang.lower() if c.isalnum())[:6] + "x"


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def keys_of(text: str, lang: str) -> list[str]:
    """Index keys of a text: its words (character bigrams where words are not spaced), casefolded, tagged."""
    tag = _tag(lang)
    words = _WORD.findall(_normalised(text))
    if written_without_spaces(lang):
        keys = []
        for word in words:
            keys += [word[i:i + 2] for i in range(len(word) - 1)] if len(word) > 1 else [word]
        words = keys
    return [tag + word for word in words]


@dataclass(frozen=True)
class Match:
    """A memory pair proposed for a segment: `score` in percent; `differences`: (operation, start, end) spans of
    the memory's source that differ from the segment ("replace", "delete") and where the segment has more
    ("insert", at that position)."""
    source: str
    target: str
    source_lang: str
    target_lang: str
    origin: str
    score: float
    differences: tuple[tuple[str, int, int], ...]

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "source_lang": self.source_lang,
                "target_lang": self.target_lang, "origin": self.origin, "score": self.score,
                "differences": [list(d) for d in self.differences]}


@dataclass(frozen=True)
class ConcordanceHit:
    source: str
    target: str
    source_lang: str
    target_lang: str
    origin: str
    source_spans: tuple[tuple[int, int], ...]
    target_spans: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "source_lang": self.source_lang,
                "target_lang": self.target_lang, "origin": self.origin,
                "source_spans": [list(s) for s in self.source_spans],
                "target_spans": [list(s) for s in self.target_spans]}


def _differences(memory_source: str, segment: str) -> tuple[tuple[str, int, int], ...]:
    from rapidfuzz.distance import Levenshtein

    spans = []
    for op in Levenshtein.opcodes(memory_source, segment):
        if op.tag != "equal":
            spans.append((op.tag, op.src_start, op.src_end))
    return tuple(spans)


def _phrase_spans(text: str, phrase: str) -> tuple[tuple[int, int], ...]:
    if not phrase.strip():
        return ()
    pattern = r"\s+".join(re.escape(w) for w in phrase.split())
    return tuple(m.span() for m in re.finditer(pattern, text, re.IGNORECASE))


class TranslationMemory(Store):
    """One memory file; thread-safe for the review app (one connection, one lock)."""

    kind = TRANSLATION_MEMORY

    def __len__(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT COUNT(*) FROM units").fetchone()[0])

    # --- writing ------------------------------------------------------------------------------------------

    def add(self, pairs: Iterable[Pair], origin: str | None = None) -> int:
        """Add (or refresh) pairs, in one transaction; `origin` overrides each pair's kind. Returns how many
        pairs were new."""
        added = 0
        now = utc_now()
        with self._transaction() as db:
            for pair in pairs:
                source, target = pair.source.strip(), pair.target.strip()
                if not source or not target:
                    continue
                how = origin or pair.kind
                row = db.execute("SELECT id FROM units WHERE source_lang=? AND target_lang=? AND source=? AND "
                                 "target=?", (pair.source_lang, pair.target_lang, source, target)).fetchone()
                if row is not None:
                    db.execute("UPDATE units SET origin=?, updated_at=? WHERE id=?", (how, now, row[0]))
                    continue
                cursor = db.execute("INSERT INTO units (source_lang, target_lang, source, target, origin, updated_at)"
                                    " VALUES (?, ?, ?, ?, ?, ?)",
                                    (pair.source_lang, pair.target_lang, source, target, how, now))
                db.execute("INSERT INTO unit_keys (rowid, source_keys, target_keys) VALUES (?, ?, ?)",
                           (cursor.lastrowid, " ".join(keys_of(source, pair.source_lang)),
                            " ".join(keys_of(target, pair.target_lang))))
                added += 1
        return added

    def add_rows(self, rows: Sequence[tuple[str, str, str, str, str]]) -> int:
        """Bulk load (source_lang, target_lang, source, target, origin) rows in one transaction (building a
        large memory from files); pairs already held are left as they are. Returns how many were new."""
        now = utc_now()
        keyed = []
        with self._transaction() as db:
            for source_lang, target_lang, source, target, origin in rows:
                cursor = db.execute("INSERT OR IGNORE INTO units (source_lang, target_lang, source, target, origin, "
                                    "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                    (source_lang, target_lang, source, target, origin, now))
                if cursor.rowcount == 1:
                    keyed.append((cursor.lastrowid, " ".join(keys_of(source, source_lang)),
                                  " ".join(keys_of(target, target_lang))))
            db.executemany("INSERT INTO unit_keys (rowid, source_keys, target_keys) VALUES (?, ?, ?)", keyed)
        return len(keyed)

    def optimise(self) -> None:
        """Merge the index's segments (after a bulk load): lookups read fewer pages."""
        with self._transaction() as db:
            db.execute("INSERT INTO unit_keys (unit_keys) VALUES ('optimize')")

    # --- reading ------------------------------------------------------------------------------------------

    def _candidates(self, db, keys: list[str]) -> list[int]:
        """Ids of the pairs sharing the most of the query's rarest keys (each weighted by its rarity)."""
        total = max(1, int(db.execute("SELECT COALESCE(MAX(id), 0) FROM units").fetchone()[0]))
        counts = {}
        for key in dict.fromkeys(keys):
            row = db.execute("SELECT doc FROM key_counts WHERE term=? AND col='source_keys'", (key,)).fetchone()
            if row is not None:
                counts[key] = row[0]
        rarest = sorted(counts, key=counts.get)[:RARE_KEYS]
        # the posting lists of the rarest keys, so long as they stay short (one key is always read), summed
        # inside SQLite: each pair scores the rarity of the keys it shares with the query
        chosen, read = [], 0
        for key in rarest:
            if chosen and read + counts[key] > MAX_POSTINGS:
                break
            read += counts[key]
            chosen.append((key, math.log(1 + total / counts[key])))
        if not chosen:
            return []
        union = " UNION ALL ".join("SELECT rowid AS id, ? AS weight FROM unit_keys WHERE unit_keys MATCH ?"
                                   for _ in chosen)
        arguments = [x for key, weight in chosen for x in (weight, 'source_keys: "' + key.replace('"', '""') + '"')]
        rows = db.execute(f"SELECT id FROM ({union}) GROUP BY id ORDER BY SUM(weight) DESC LIMIT ?",
                          (*arguments, CANDIDATES)).fetchall()
        return [row[0] for row in rows]

    def lookup(self, segment: str, source_lang: str, target_lang: str, *, limit: int = 5,
               min_score: float = MIN_MATCH) -> list[Match]:
        """The best fuzzy matches for `segment` into `target_lang`, best first (100 = the same source)."""
        from rapidfuzz import fuzz

        query = _normalised(segment)
        if not query:
            return []
        with self._reading() as db:
            ids = self._candidates(db, keys_of(segment, source_lang))
            if not ids:
                return []
            # by primary key (the languages are checked below: a condition on them would lead SQLite to scan
            # the language pair's index instead)
            rows = db.execute(f"SELECT source, target, source_lang, target_lang, origin FROM units WHERE id IN "
                              f"({','.join('?' * len(ids))})", ids).fetchall()
        matches = []
        for source, target, s_lang, t_lang, origin in rows:
            if (s_lang, t_lang) != (source_lang, target_lang):
                continue
            score = round(fuzz.ratio(query, _normalised(source)), 1)
            if source.strip() == segment.strip():
                score = 100.0
            elif score >= 100.0:
                score = 99.9  # equal but for case or spacing: not an exact match
            if score >= min_score:
                matches.append(Match(source, target, s_lang, t_lang, origin, score, _differences(source, segment)))
        matches.sort(key=lambda m: (-m.score, m.origin != "reference", m.target))
        return matches[:limit]

    def concordance(self, phrase: str, lang: str, *, side: str = "source", limit: int = CONCORDANCE_LIMIT,
                    other_lang: str | None = None) -> list[ConcordanceHit]:
        """Pairs whose `side` ("source" or "target"), in language `lang`, holds `phrase` (case ignored)."""
        if side not in ("source", "target"):
            raise ValueError("side must be 'source' or 'target'")
        keys = keys_of(phrase, lang)
        if not keys:
            return []
        column = f"{side}_keys"
        expression = f'{column}: "' + " ".join(k.replace('"', '""') for k in keys) + '"'
        lang_column = "source_lang" if side == "source" else "target_lang"
        hits = []
        with self._reading() as db:
            rows = db.execute(
                f"SELECT u.source, u.target, u.source_lang, u.target_lang, u.origin FROM unit_keys k "
                f"JOIN units u ON u.id = k.rowid WHERE unit_keys MATCH ? AND u.{lang_column} = ? LIMIT ?",
                (expression, lang, limit * 4)).fetchall()
        for source, target, s_lang, t_lang, origin in rows:
            if other_lang is not None and (t_lang if side == "source" else s_lang) != other_lang:
                continue
            text = source if side == "source" else target
            spans = _phrase_spans(text, phrase) if not written_without_spaces(lang) else \
                tuple((m.start(), m.end()) for m in re.finditer(re.escape(phrase.strip()), text, re.IGNORECASE))
            if not spans:
                continue
            hits.append(ConcordanceHit(source, target, s_lang, t_lang, origin,
                                       spans if side == "source" else (), spans if side == "target" else ()))
            if len(hits) >= limit:
                break
        return hits


def read_tmx_pairs(path: Path | str, origin: str | None = None) -> list[Pair]:
    """The pairs of a TMX file (through translate-toolkit): every language of a unit paired with its first one.
    Languages are given as the file writes them (ISO codes map to FLORES-200 where seedmt knows them)."""
    from seedmt.core.languages import flores_code_for
    from seedmt.core.toolkit import toolkit_module

    path = Path(path)
    tmx = toolkit_module("storage.tmx")
    try:
        store = tmx.tmxfile.parsefile(str(path))
    except Exception as err:  # lxml and the toolkit raise several kinds on malformed files
        from seedmt.core.errors import SeedMTError

        raise SeedMTError(f"{path}: not a readable TMX file ({type(err).__name__}: {err})") from None
    pairs = []
    for number, unit in enumerate(store.getunits(), start=1):
        nodes = unit.getlanguageNodes()
        texts = []
        for node in nodes:
            lang = node.get("{http://www.w3.org/XML/1998/namespace}lang") or node.get("lang") or ""
            flores = next((p.text for p in node.iter("prop") if p.get("type") == "x-flores" and p.text), None)
            code = flores or flores_code_for(lang)  # a language seedmt does not know: left out
            text = unit.getNodeText(node)
            if code and text:
                texts.append((code, text))
        if len(texts) < 2:
            continue
        (source_lang, source), *targets = texts
        key = unit.xmlelement.get("tuid") or f"{path.name}:{number}"
        pairs += [Pair(key, source, text, source_lang, code, origin or f"tmx:{path.name}") for code, text in targets]
    return pairs
