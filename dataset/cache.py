"""Segment cache: every model input translated once per system, kept in SQLite across runs.

A row is keyed by the system that produced it (weights fingerprint and revision, backend, compute type,
decoding settings, vocabulary trimming), the language pair and the exact model input. Rows are written as
each batch finishes, one transaction per batch, in WAL mode: a run killed at any point (kill -9 included)
keeps every finished batch, and the same command run again only translates what is missing.

Two tables: `translations` holds model inputs (a sentence, or a piece of an over-long one) and `segments`
holds whole segments once all their pieces are done, so a re-run whose segments are all cached needs neither
the tokenizer nor the model. Beside them: sentence embeddings (`embeddings`, for similarity scores) and
neural metric scores (`metric_scores`, COMET per segment), each keyed by the model's identity and the input.

A cache file that SQLite cannot read is moved aside (`<name>.corrupt-<time>`) and rebuilt empty."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from seedmt.core.errors import OutputError
from seedmt.core.store import StoreError, StoreKind, close_checkpointed, open_store

INPUTS, SEGMENTS = "translations", "segments"
TABLES = (INPUTS, SEGMENTS)
DEFAULT_CACHE_NAME = "seedmt-cache.sqlite"  # beside the dataset folder


def default_cache_path(dataset_dir: Path) -> Path:
    return Path(dataset_dir).parent / DEFAULT_CACHE_NAME
_CHUNK = 500  # keys per SELECT
# Fields of a backend's describe() that change its outputs; device and thread counts do not.
SYSTEM_FIELDS = ("backend", "model", "revision", "weights_fingerprint", "tokenizer", "compute_type", "trim_vocabulary")


def system_key(backend_info: dict, decoding: dict) -> str:
    """Identity of a translation system for caching: what determines its output for a given input."""
    identity = {name: backend_info.get(name) for name in SYSTEM_FIELDS}
    return hashlib.sha256(json.dumps([identity, decoding], sort_keys=True).encode()).hexdigest()


def _release_1(connection: sqlite3.Connection) -> None:
    """The tables of seedmt 0.1 (which kept the version in a `meta` table)."""
    connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for table in TABLES:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, system TEXT NOT NULL,"
                           " src TEXT NOT NULL, tgt TEXT NOT NULL, translation TEXT NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
    connection.execute("CREATE TABLE IF NOT EXISTS metric_scores (key TEXT PRIMARY KEY, score REAL NOT NULL)")


SEGMENT_CACHE = StoreKind(
    "segment cache",
    migrations=(_release_1, ("DROP TABLE meta",)),  # 2: the version in PRAGMA user_version
    disposable=True,  # every row can be computed again
    synchronous="NORMAL",  # a crash keeps every committed batch; a power cut may cost the last ones
    timeout=60.0,
    legacy_tables=frozenset(TABLES + ("embeddings", "metric_scores")),
)


def _row_key(system: str, src: str, tgt: str, text: str) -> str:
    return hashlib.sha256(json.dumps([system, src, tgt, text]).encode("utf-8")).hexdigest()


class SegmentCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            opened = open_store(self.path, SEGMENT_CACHE)
        except StoreError as err:
            raise OutputError(str(err)) from None
        self._connection = opened.connection
        self.moved_aside: Path | None = opened.moved_aside

    def _select(self, table: str, column: str, keys: dict[str, str]) -> dict[str, object]:
        """`column` of the rows whose key is in `keys` (row key -> text), by text; in chunks that stay under
        SQLite's limit on bound parameters."""
        items, found = list(keys), {}
        for start in range(0, len(items), _CHUNK):
            chunk = items[start:start + _CHUNK]
            for key, value in self._connection.execute(
                    f"SELECT key, {column} FROM {table} WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                found[keys[key]] = value
        return found

    def _insert(self, table: str, rows: list[tuple], what: str) -> None:
        """One transaction: a batch is either wholly in the cache or not at all."""
        if not rows:
            return
        try:
            with self._connection:
                self._connection.execute("BEGIN IMMEDIATE")
                self._connection.executemany(
                    f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        except sqlite3.OperationalError as err:  # disk full, read-only, I/O error: SQLite rolled back the batch
            raise OutputError(f"cannot write the segment cache {self.path}: {err}; {what}") from None

    def lookup(self, system: str, src: str, tgt: str, texts: Sequence[str], table: str = INPUTS) -> dict[str, str]:
        """Cached translations of those `texts` that have one."""
        return self._select(table, "translation", {_row_key(system, src, tgt, t): t for t in texts})

    def store(self, system: str, src: str, tgt: str, pairs: Iterable[tuple[str, str]], table: str = INPUTS) -> None:
        rows = [(_row_key(system, src, tgt, text), system, src, tgt, out) for text, out in pairs]
        self._insert(table, rows, "the batches stored before are kept")

    def lookup_vectors(self, embedder: str, texts: Sequence[str]) -> dict[str, bytes]:
        """Stored sentence embeddings (raw float32 bytes) of those `texts` that have one."""
        return self._select("embeddings", "vector", {_row_key(embedder, "", "", t): t for t in texts})

    def store_vectors(self, embedder: str, pairs: Iterable[tuple[str, bytes]]) -> None:
        rows = [(_row_key(embedder, "", "", text), vector) for text, vector in pairs]
        self._insert("embeddings", rows, "the embeddings stored before are kept")

    def lookup_scores(self, metric: str, items: Sequence[tuple]) -> dict[tuple, float]:
        """Stored segment scores of a neural metric (`metric` names the model's weights) for those items
        (source, translation, reference) that have one."""
        return self._select("metric_scores", "score", {_row_key(metric, "", "", json.dumps(i)): i for i in items})

    def store_scores(self, metric: str, pairs: Iterable[tuple[tuple, float]]) -> None:
        rows = [(_row_key(metric, "", "", json.dumps(item)), float(score)) for item, score in pairs]
        self._insert("metric_scores", rows, "the scores stored before are kept")

    def count(self, table: str = INPUTS) -> int:
        return self._connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def close(self) -> None:
        close_checkpointed(self._connection)
