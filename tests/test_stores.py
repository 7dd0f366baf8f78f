"""The SQLite stores seedmt keeps (`seedmt.core.store`): stores of the previous release migrate with every row,
a store from a newer seedmt is refused naming both versions, a corrupt cache is rebuilt and a corrupt store of a
person's work is left exactly as it was."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from seedmt.core.errors import OutputError
from seedmt.core.store import StoreKind, open_store
from seedmt.dataset.cache import SEGMENT_CACHE, SegmentCache
from seedmt.dataset.reviews import REVIEW_STORE, ReviewStore, ReviewStoreError
from seedmt.review.alignments import ALIGNMENT_STORE, AlignmentStore, AlignmentStoreError

FIXTURES = Path(__file__).parent / "fixtures" / "stores"
KINDS = {"review": (ReviewStore, REVIEW_STORE, ReviewStoreError),
         "alignments": (AlignmentStore, ALIGNMENT_STORE, AlignmentStoreError),
         "cache": (SegmentCache, SEGMENT_CACHE, OutputError)}


def release_1(name: str, tmp_path: Path) -> Path:
    copy = tmp_path / f"release-1.{name}.sqlite"
    shutil.copyfile(FIXTURES / copy.name, copy)
    return copy


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("PRAGMA user_version").fetchone()[0]


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_review_store_of_release_1_migrates_with_every_decision_and_a_backup(tmp_path):
    path = release_1("review", tmp_path)
    before = path.read_bytes()
    store = ReviewStore(path)
    reviews = store.reviews()
    assert {key: (r.status, r.post_edit, r.reason, r.reviewer, r.seconds) for key, r in reviews.items()} == {
        ("doc-000:0:0", "eng_Latn"): ("accepted", None, None, "ana", 3.5),
        ("doc-000:0:1", "eng_Latn"): ("edited", "The second sentence.", None, "ana", 12.0),
        ("doc-000:0:2", "zho_Hans"): ("rejected", None, "wrong tense", "ben", 7.25),
        ("doc-000:0:3", "eng_Latn"): ("unreviewed", None, None, "ana", 0.0),  # accepted, then undone
    }
    assert [a["action"] for a in store.actions()] == ["accept", "edit", "reject", "accept", "undo",
                                                      "rejected-concurrent"]
    assert [e["text"] for e in store.rejected_concurrent_edits("doc-000:0:1", "eng_Latn")] == \
        ["Second, edited elsewhere."]
    # the migrated store goes on working: the undo stack of release 1 is still there
    assert store.redo("ana").status == "accepted"
    assert store.opened.migrated_from == 1
    store.close()
    assert user_version(path) == REVIEW_STORE.version and "meta" not in tables(path)
    backup, = tmp_path.glob("release-1.review.sqlite.v1-backup-*")
    assert backup == store.opened.backup and "meta" in tables(backup)
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 6
    assert before  # the fixture itself is untouched (a copy was opened)
    assert (FIXTURES / "release-1.review.sqlite").read_bytes() == before


def test_an_alignment_store_of_release_1_migrates_with_its_session(tmp_path):
    path = release_1("alignments", tmp_path)
    store = AlignmentStore(path)
    sessions = store.sessions()
    assert [(s["name"], s["doc_id"], s["version"]) for s in sessions] == [("seed 001 x translation", "001", 1)]
    session = store.session(sessions[0]["id"])
    assert session.source == ["პირველი.", "მეორე.", "მესამე."] and session.top == 2
    assert [(x.source_indices, x.target_indices, x.origin) for x in session.links] == \
        [((0,), (0,), "accepted"), ((1,), (1, 2), "aligner"), ((2,), (), "aligner")]
    assert session.gold == [((0,), (0,)), ((1,), (1, 2)), ((2,), ())]
    assert store.step(session.id, 1, +1) == 2  # redo into the state release 1 stored
    store.close()
    assert user_version(path) == ALIGNMENT_STORE.version
    assert len(list(tmp_path.glob("release-1.alignments.sqlite.v1-backup-*"))) == 1


def test_a_cache_of_release_1_migrates_with_its_rows_and_no_backup(tmp_path):
    path = release_1("cache", tmp_path)
    cache = SegmentCache(path)
    assert cache.lookup("system-a", "kat_Geor", "eng_Latn", ["პირველი.", "მეორე.", "other"]) == \
        {"პირველი.": "First.", "მეორე.": "Second."}
    assert cache.lookup("system-a", "kat_Geor", "eng_Latn", ["პირველი. მეორე."], table="segments") == \
        {"პირველი. მეორე.": "First. Second."}
    assert np.frombuffer(cache.lookup_vectors("e5", ["First."])["First."], dtype=np.float32).tolist() == \
        [0.0, 1.0, 2.0, 3.0]
    assert cache.lookup_scores("comet", [("პირველი.", "First.", "First.")]) == \
        {("პირველი.", "First.", "First."): 0.8125}
    cache.close()
    assert user_version(path) == SEGMENT_CACHE.version
    assert not list(tmp_path.glob("*backup*"))  # disposable: no backup needed


@pytest.mark.parametrize("name", KINDS)
def test_a_store_from_a_newer_seedmt_is_refused_naming_the_file_and_both_versions(name, tmp_path):
    store_class, kind, error = KINDS[name]
    path = tmp_path / f"newer.{name}.sqlite"
    store = store_class(path)
    if name == "review":
        store.act("d:0", "eng_Latn", "edit", machine_translation="mt", text="kept", reviewer="ana")
    store.close()
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version={kind.version + 7}")
    before = path.read_bytes()
    with pytest.raises(error) as refused:
        store_class(path)
    message = str(refused.value)
    assert str(path) in message and f"schema {kind.version + 7}" in message and \
        f"reads up to {kind.version}" in message and "\n" not in message
    assert path.read_bytes() == before and not list(tmp_path.glob("*backup*"))
    if name == "review":  # what the person did is still there for the newer seedmt
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT post_edit FROM state").fetchall() == [("kept",)]


def corrupted(path: Path) -> None:
    """Overwrite the pages after the header of an SQLite file with noise, keeping its length."""
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(0).integers(0, 256, len(data) - 100, dtype=np.uint8).tobytes()
    data[100:] = noise
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name", ["review", "alignments"])
@pytest.mark.parametrize("damage", ["garbage", "pages"])
def test_a_corrupt_store_of_a_persons_work_is_never_moved_or_rebuilt(name, damage, tmp_path):
    store_class, kind, error = KINDS[name]
    path = release_1(name, tmp_path)
    if damage == "garbage":
        path.write_bytes(b"this is not sqlite" * 300)
    else:
        corrupted(path)
    before = path.read_bytes()
    with pytest.raises(error) as refused:
        store_class(path)
    message = str(refused.value)
    assert str(path) in message and f"not a readable {kind.name}" in message and "backup" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing moved, rebuilt or added


def test_a_corrupt_cache_is_moved_aside_and_rebuilt(tmp_path):
    path = release_1("cache", tmp_path)
    corrupted(path)
    damaged = path.read_bytes()
    cache = SegmentCache(path)
    assert cache.moved_aside is not None and cache.moved_aside.read_bytes() == damaged
    assert cache.lookup("system-a", "kat_Geor", "eng_Latn", ["პირველი."]) == {}
    cache.store("system-a", "kat_Geor", "eng_Latn", [("პირველი.", "First.")])
    cache.close()
    assert SegmentCache(path).lookup("system-a", "kat_Geor", "eng_Latn", ["პირველი."]) == {"პირველი.": "First."}


@pytest.mark.parametrize("name", KINDS)
def test_an_sqlite_file_of_something_else_is_refused(name, tmp_path):
    store_class, kind, error = KINDS[name]
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    with pytest.raises(error, match=f"not a seedmt {kind.name}"):
        store_class(other)


def test_a_migration_stopped_half_way_leaves_the_last_completed_version(tmp_path):
    def breaks(connection):
        connection.execute("CREATE TABLE half (x)")
        raise RuntimeError("killed")

    first = StoreKind("test store", migrations=(("CREATE TABLE notes (text TEXT)",),))
    path = tmp_path / "notes.sqlite"
    opened = open_store(path, first)
    opened.connection.execute("INSERT INTO notes VALUES ('a person wrote this')")
    opened.connection.close()
    later = StoreKind("test store", migrations=first.migrations + (("ALTER TABLE notes ADD COLUMN by TEXT",), breaks))
    with pytest.raises(RuntimeError):
        open_store(path, later)
    assert user_version(path) == 2 and "half" not in tables(path)  # step 2 committed, step 3 rolled back
    backup, = tmp_path.glob("notes.sqlite.v1-backup-*")
    assert user_version(backup) == 1
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT text, by FROM notes").fetchall() == [("a person wrote this", None)]
    fixed = StoreKind("test store", migrations=later.migrations[:2] + (("CREATE TABLE half (x)",),))
    reopened = open_store(path, fixed)
    assert reopened.migrated_from == 2 and user_version(path) == 3
    reopened.connection.close()

