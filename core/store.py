"""Every SQLite file seedmt keeps, opened one way: the segment cache, the review store, the alignment store.

A store is described once (`StoreKind`): what it is called in messages, its schema as an ordered list of
migrations, how durable a write must be, and whether the file is disposable. `open_store` then

- connects in WAL mode with a busy timeout (one writer at a time, readers never blocked);
- checks the file (`PRAGMA quick_check`). A disposable store (the cache: everything in it can be recomputed) that
  SQLite cannot read is moved aside (`<name>.corrupt-<time>`) and rebuilt. A store that holds a person's work is
  never moved, rebuilt or overwritten: seedmt refuses with the file and what to do;
- reads the schema version from `PRAGMA user_version` (stores of seedmt 0.1 kept it in a `meta` table: read
  there) and refuses a store from a newer seedmt with one line naming the file and both versions;
- before migrating a store that holds a person's work, copies it beside itself with SQLite's backup API
  (`<name>.v<old>-backup-<time>`), then runs each migration in its own transaction together with the new
  `user_version`, so a migration stopped half-way leaves the store at the last version it completed."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import SeedMTError

log = logging.getLogger(__name__)

# A migration takes a store from version k to k + 1 (index k of `StoreKind.migrations`): SQL statements, or a
# function given the connection inside the migration's transaction.
Migration = Sequence[str] | Callable[[sqlite3.Connection], None]


class StoreError(SeedMTError):
    """A store cannot be opened: unreadable, from a newer seedmt, not a store of this kind, or not writable."""


@dataclass(frozen=True)
class StoreKind:
    name: str  # in messages: "review store"
    migrations: tuple[Migration, ...]
    disposable: bool = False  # a corrupt file may be moved aside and rebuilt (nothing in it is a person's work)
    synchronous: str = "FULL"  # FULL: a committed transaction survives power loss; NORMAL: survives a crash
    timeout: float = 30.0  # seconds to wait for another writer
    legacy_tables: frozenset[str] = frozenset()  # tables a 0.1 store of this kind has (with `meta`)

    @property
    def version(self) -> int:
        return len(self.migrations)


@dataclass
class OpenedStore:
    connection: sqlite3.Connection
    migrated_from: int | None = None  # the version found, when migrations ran on an existing store
    backup: Path | None = None  # the copy written before migrating
    moved_aside: Path | None = None  # where an unreadable disposable store went


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def _connect(path: Path, kind: StoreKind) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=kind.timeout, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={kind.synchronous}")
        status = connection.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {status}")
    except BaseException:
        connection.close()
        raise
    return connection


def _found_version(connection: sqlite3.Connection, path: Path, kind: StoreKind) -> int:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version:
        return version
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    tables -= {"sqlite_sequence"}
    if not tables:
        return 0
    if "meta" in tables and tables - {"meta"} <= kind.legacy_tables:  # seedmt 0.1 kept the version in `meta`
        row = connection.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        try:
            return int(row[0]) if row else 1
        except (TypeError, ValueError):
            raise StoreError(f"{path}: a {kind.name} with an unreadable schema version ({row[0]!r})") from None
    raise StoreError(f"{path}: an SQLite file, but not a seedmt {kind.name}")


def _backup(connection: sqlite3.Connection, path: Path, version: int) -> Path:
    copy = path.with_name(f"{path.name}.v{version}-backup-{_stamp()}")
    target = sqlite3.connect(copy)
    try:
        connection.backup(target)
    finally:
        target.close()
    return copy


def _migrate(connection: sqlite3.Connection, path: Path, kind: StoreKind) -> tuple[int, int]:
    """Run the migrations the store lacks; returns (version found, version now)."""
    found = _found_version(connection, path, kind)
    if found > kind.version:
        raise StoreError(f"{path}: written by a newer seedmt ({kind.name} schema {found}; this seedmt reads up to "
                         f"{kind.version}); upgrade seedmt to open it")
    version = found
    while version < kind.version:
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = _found_version(connection, path, kind)  # another process may have migrated meanwhile
            if version < kind.version:
                step = kind.migrations[version]
                if callable(step):
                    step(connection)
                else:
                    for statement in step:
                        connection.execute(statement)
                version += 1
                connection.execute(f"PRAGMA user_version={version}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    return found, version


def open_store(path: Path, kind: StoreKind) -> OpenedStore:
    """Open (creating if absent) and migrate the store at `path`; see the module's docstring."""
    path = Path(path)
    existed = path.exists()
    moved_aside = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = _connect(path, kind)
        except sqlite3.OperationalError:
            raise  # locked, read-only, disk full: the file is not at fault
        except sqlite3.DatabaseError as err:
            if not kind.disposable:
                raise StoreError(f"{path}: not a readable {kind.name} ({err}). It holds people's work, so seedmt "
                                 f"leaves it as it is: restore it from a backup ({path.name}.v*-backup-*), or move "
                                 "it aside to start an empty one") from None
            moved_aside = path.with_name(f"{path.name}.corrupt-{_stamp()}")
            log.warning("%s %s is unreadable (%s); moved to %s and rebuilt", kind.name, path, err, moved_aside)
            path.replace(moved_aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            connection = _connect(path, kind)
        try:
            found = _found_version(connection, path, kind)
            backup = _backup(connection, path, found) if 0 < found < kind.version and not kind.disposable else None
            found, _ = _migrate(connection, path, kind)
        except BaseException:
            connection.close()
            raise
    except (OSError, sqlite3.OperationalError) as err:
        if not existed:  # leave no empty store file behind on a full or read-only disk
            for suffix in ("", "-wal", "-shm"):
                try:
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                except OSError:
                    pass
        problem = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise StoreError(f"cannot open the {kind.name} {path}: {problem}") from None
    if backup is not None:
        log.info("%s %s migrated from schema %d to %d; the old file is kept as %s", kind.name, path, found,
                 kind.version, backup)
    return OpenedStore(connection, found if 0 < found < kind.version else None, backup, moved_aside)


def close_checkpointed(connection: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database, empty it and close. SQLite does this by itself only when the
    last connection closes cleanly and nothing else holds the file; a store beside a dataset should not keep a
    large `-wal` file around after a normal stop."""
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # another process is reading: it (or the next open) checkpoints later; nothing is lost
    finally:
        connection.close()


class Store:
    """Base of the stores the web apps share between threads: one connection, one lock, one transaction per
    change (`BEGIN IMMEDIATE`, so a writer never fails half-way on a lock)."""

    kind: StoreKind

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        opened = open_store(self.path, self.kind)
        self._connection = opened.connection
        self.opened = opened

    def close(self) -> None:
        """Fold the write-ahead log into the database and close: a clean stop leaves one file."""
        with self._lock:
            close_checkpointed(self._connection)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
                self._connection.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._connection
