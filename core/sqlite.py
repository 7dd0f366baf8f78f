"""What every SQLite file of seedmt does on closing."""
from __future__ import annotations

import sqlite3


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
