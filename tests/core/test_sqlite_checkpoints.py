"""The SQLite backend checkpoints the write-ahead log from a thread of its own, not in a writer's commit."""

import os
import sqlite3
import time

import pytest
from django.db import connections

from portal.core.db.sqlite3 import base
from portal.core.db.sqlite3.base import (
    SAFETY_CHECKPOINT_PAGES,
    DatabaseWrapper,
    checkpoint,
    ensure_checkpointer,
)


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    # These connections go to files of the tests' own, not to the (in-memory) test database.
    with django_db_blocker.unblock():
        yield


def wal_database(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER, pad TEXT)")
    conn.commit()
    conn.close()


def write_rows(path: str, count: int) -> None:
    """Rows that stay in the log: this connection never checkpoints by itself."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    for n in range(count):
        conn.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 500))
        conn.commit()
    return conn  # kept open: the last connection to close would checkpoint on its way out


def test_connections_move_their_automatic_checkpoint_out_of_the_way(tmp_path):
    path = str(tmp_path / "a.sqlite3")
    settings = dict(connections["default"].settings_dict, NAME=path)
    settings["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;"}
    wrapper = DatabaseWrapper(settings, "checkpoint_test")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == SAFETY_CHECKPOINT_PAGES
        thread = base._checkpointers[(os.getpid(), path)]
        assert thread.is_alive() and thread.daemon
    finally:
        wrapper.close()


def test_in_memory_databases_start_no_thread():
    settings = dict(connections["default"].settings_dict, NAME=":memory:", OPTIONS={})
    wrapper = DatabaseWrapper(settings, "memory_test")
    before = set(base._checkpointers)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert set(base._checkpointers) == before
    wrapper.close()


def test_checkpoint_copies_the_log_into_the_database(tmp_path):
    path = str(tmp_path / "b.sqlite3")
    wal_database(path)
    writer = write_rows(path, 200)
    before = os.path.getsize(path)
    busy, log, done = checkpoint(path)
    assert (busy, done) == (0, log) and log > 0
    assert os.path.getsize(path) > before
    writer.close()


def test_the_thread_checkpoints_without_being_asked(tmp_path):
    path = str(tmp_path / "c.sqlite3")
    wal_database(path)
    thread = ensure_checkpointer(path, interval=0.05)
    assert ensure_checkpointer(path) is thread  # one per process and file
    writer = write_rows(path, 200)
    before = os.path.getsize(path)
    deadline = time.monotonic() + 5
    while os.path.getsize(path) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.getsize(path) > before, "the log was not copied into the database"
    assert writer.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 200
    writer.close()
