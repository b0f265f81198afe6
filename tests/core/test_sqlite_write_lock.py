"""The SQLite backend's host write lock: a waiting writer blocks on it and proceeds once the holder ends.

Each test uses its own database file and connections of its own (the test
database is in memory, where there is no lock), with a busy timeout of
50 ms: a writer that waited on SQLite's busy handler instead of the lock
would fail with "database is locked" while the other holds it for longer.
"""

import fcntl
import os
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import OperationalError, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as PlainSQLite

from portal.core.db.sqlite3.base import DatabaseWrapper

HOLD = 0.3  # seconds the first writer keeps its transaction open


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    # These connections go to files of the tests' own, not to the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_path(tmp_path) -> str:
    path = str(tmp_path / "locks.sqlite3")
    conn = wrapper(path, "setup")
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    conn.close()
    return path


def wrapper(path: str, alias: str, engine: type = DatabaseWrapper) -> DatabaseWrapper:
    settings = dict(connections["default"].settings_dict)
    settings["NAME"] = path
    settings["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 0.05,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    return engine(settings, alias)


@pytest.fixture
def conn(db_path) -> Iterator[DatabaseWrapper]:
    connection = wrapper(db_path, "lock_test")
    connections["lock_test"] = connection
    yield connection
    connection.close()
    del connections["lock_test"]


def lock_is_free(db_path: str) -> bool:
    """Whether another descriptor (as another process would) can take the lock right now."""
    fd = os.open(f"{db_path}.write-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def rows(db_path: str) -> list[int]:
    conn = wrapper(db_path, "reader")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT n FROM t ORDER BY n")
            return [n for (n,) in cursor.fetchall()]
    finally:
        conn.close()


def insert(alias: str, n: int) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("INSERT INTO t (n) VALUES (%s)", [n])


def contend(db_path: str, engine: type) -> tuple[list, float]:
    """Writer 1 holds a write transaction for HOLD seconds; writer 2 starts one meanwhile."""
    holding = threading.Event()
    errors: list = []
    waited: list[float] = []

    def writer(n: int) -> None:
        alias = f"writer{n}"
        connections[alias] = wrapper(db_path, alias, engine)
        try:
            if n == 2:
                holding.wait(5)
            started = time.monotonic()
            with transaction.atomic(using=alias):
                insert(alias, n)
                if n == 1:
                    holding.set()
                    time.sleep(HOLD)
            waited.append(time.monotonic() - started)
        except Exception as exc:
            errors.append(exc)
            holding.set()
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return errors, max(waited, default=0.0)


def test_a_second_writer_waits_for_the_first_and_both_commit(db_path):
    errors, waited = contend(db_path, DatabaseWrapper)
    assert errors == []
    assert rows(db_path) == [1, 2]
    assert waited >= HOLD * 0.8  # it waited for the holder instead of failing
    assert lock_is_free(db_path)


def test_without_the_lock_the_busy_handler_gives_up():
    """The control: Django's plain backend with the same 50 ms busy timeout fails under the same load."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "plain.sqlite3")
        setup = wrapper(path, "setup", PlainSQLite)
        with setup.cursor() as cursor:
            cursor.execute("CREATE TABLE t (n INTEGER)")
        setup.close()
        errors, _ = contend(path, PlainSQLite)
    assert len(errors) == 1 and isinstance(errors[0], OperationalError)
    assert "locked" in str(errors[0])


def test_held_only_inside_the_outermost_atomic_block(conn, db_path):
    assert not conn.write_lock_held()
    with transaction.atomic(using="lock_test"):
        assert conn.write_lock_held() and not lock_is_free(db_path)
        with pytest.raises(ValueError), transaction.atomic(using="lock_test"):  # a savepoint
            insert("lock_test", 1)
            raise ValueError
        assert conn.write_lock_held()
        insert("lock_test", 2)
    assert not conn.write_lock_held() and lock_is_free(db_path)
    assert rows(db_path) == [2]


def test_released_when_the_block_raises(conn, db_path):
    with pytest.raises(ValueError), transaction.atomic(using="lock_test"):
        insert("lock_test", 1)
        raise ValueError
    assert not conn.write_lock_held() and lock_is_free(db_path)
    assert rows(db_path) == []


def test_released_after_a_database_error(conn, db_path):
    with pytest.raises(OperationalError), transaction.atomic(using="lock_test"):
        insert("lock_test", 1)
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO missing_table VALUES (1)")
    assert not conn.write_lock_held() and lock_is_free(db_path)
    assert rows(db_path) == []


def test_released_when_the_connection_closes_inside_the_block(conn, db_path):
    with transaction.atomic(using="lock_test"):
        insert("lock_test", 1)
        conn.close()
        assert not conn.write_lock_held() and lock_is_free(db_path)
    assert rows(db_path) == []


def test_writes_outside_atomic_take_no_lock(conn, db_path):
    insert("lock_test", 1)  # autocommit: SQLite's own busy handler, as before
    assert not conn.write_lock_held() and lock_is_free(db_path)
    assert rows(db_path) == [1]


def test_in_memory_databases_have_no_lock_file(tmp_path):
    memory = wrapper(":memory:", "memory")
    connections["memory"] = memory
    try:
        with transaction.atomic(using="memory"):
            assert not memory.write_lock_held()
    finally:
        del connections["memory"]
    assert not (tmp_path / ":memory:.write-lock").exists()


def test_a_forked_child_waits_for_its_parent(conn, db_path):
    """After fork the child opens its own descriptor: a shared one would let it in beside the parent."""
    with transaction.atomic(using="lock_test"):
        insert("lock_test", 1)
        pid = os.fork()
        if pid == 0:  # the child: take the lock through the inherited connection object
            code = 0
            try:
                conn._lock_held = False  # what the child sees of a lock it never took
                blocked = threading.Thread(target=conn._write_lock_acquire, daemon=True)
                blocked.start()
                blocked.join(0.2)
                code = 1 if blocked.is_alive() else 2  # 1: waiting for the parent, as it must
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert lock_is_free(db_path)
