"""SQLite whose writers on this host queue on a kernel lock instead of polling.

With ``transaction_mode`` IMMEDIATE every atomic block takes SQLite's write
lock at BEGIN. A second process asking for it meanwhile gets SQLITE_BUSY,
and SQLite's busy handler then sleeps 1, 2, 5, 10... ms and asks again: at
16 concurrent writers on two workers those sleeps cost more than the
writes. Here each connection first takes an exclusive ``flock`` on a file
beside the database (``<database>.write-lock``) just before BEGIN
IMMEDIATE, and lets it go right after COMMIT or ROLLBACK: a waiting writer
sleeps in the kernel and wakes the moment the holder lets go.

- Only the outermost atomic block takes it (nested blocks are savepoints
  inside the held transaction). Writes in autocommit mode, outside atomic,
  do not: they, and any process that does not use this backend, fall back
  on SQLite's ``timeout`` (busy handler) as before.
- It is released on every way out: commit, rollback, closing the
  connection, and the return to autocommit that ends every atomic block,
  whatever raised in between. A process that dies loses it with its file
  descriptors.
- Each connection opens its own descriptor (flock excludes descriptors,
  not processes), reopened after a fork so that a worker never shares one
  with its parent; a thread that already holds the lock through another
  connection to the same file does not wait for itself.
- In-memory databases have no file and no other writer: no lock (nor for
  a ``file:`` URI name, which keeps the busy handler).

Checkpoints, too, leave the writers' path. In WAL mode the commit that
fills the log past ``wal_autocheckpoint`` pages copies it back into the
database and, with ``synchronous=NORMAL``, waits for the disk (fsync),
all while it holds the write lock every other writer queues on. Here a
thread per process and database file runs a PASSIVE checkpoint every
``CHECKPOINT_INTERVAL`` seconds on a connection of its own (SQLite lets a
checkpoint run beside readers and writers), and the connections' own
automatic checkpoint moves out to ``SAFETY_CHECKPOINT_PAGES``: it only
acts if that thread stopped, so the log stays bounded either way.
"""

import fcntl
import logging
import os
import sqlite3
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

# Per lock file: the thread holding it in this process, so that a second
# connection of the same thread falls back on SQLite's busy handler instead
# of waiting for itself forever.
_holders: dict[str, int] = {}
_holders_guard = threading.Lock()

# The stubs leave out the transaction hooks overridden here.
_SQLiteWrapper: Any = base.DatabaseWrapper

CHECKPOINT_INTERVAL = 0.5
SAFETY_CHECKPOINT_PAGES = 20000  # about 80 MB of log: reached only if the checkpoint thread stopped

logger = logging.getLogger(__name__)
# (process id, database file) -> its checkpoint thread.
_checkpointers: dict[tuple[int, str], threading.Thread] = {}
_checkpointers_guard = threading.Lock()


def checkpoint(path: str) -> tuple[int, int, int]:
    """One PASSIVE checkpoint of the database file: (busy, frames in the log, frames checkpointed)."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return busy, log, done


def _checkpoint_forever(path: str, interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            checkpoint(path)
        except sqlite3.Error as exc:  # the next round tries again; the safety checkpoint bounds the log
            logger.warning("WAL checkpoint of %s failed: %s", path, exc)


def ensure_checkpointer(path: str, interval: float = CHECKPOINT_INTERVAL) -> threading.Thread:
    """Start this process's checkpoint thread for the database file, once (again in a forked worker)."""
    key = (os.getpid(), path)
    with _checkpointers_guard:
        thread = _checkpointers.get(key)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(
                target=_checkpoint_forever,
                args=(path, interval),
                name=f"sqlite-checkpoint {path}",
                daemon=True,
            )
            thread.start()
            _checkpointers[key] = thread
    return thread


class DatabaseWrapper(_SQLiteWrapper):
    _lock_fd: int | None = None
    _lock_pid: int | None = None
    _lock_held = False

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or name.startswith("file:"):
            return None
        return f"{name}.write-lock"

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        if self._write_lock_path() is not None:  # a database file (not in memory, not a URI)
            conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
            ensure_checkpointer(str(self.settings_dict["NAME"]))
        return conn

    def _write_lock_acquire(self) -> None:
        path = self._write_lock_path()
        if path is None or self._lock_held:
            return
        me = threading.get_ident()
        with _holders_guard:
            if _holders.get(path) == me:
                return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            if self._lock_fd is not None:
                # Inherited across fork: it shares its lock with the parent's. Closing
                # our copy leaves the parent's alone; open our own.
                os.close(self._lock_fd)
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_held = True
        with _holders_guard:
            _holders[path] = me

    def _write_lock_release(self) -> None:
        if not self._lock_held:
            return
        self._lock_held = False
        path = self._write_lock_path()
        with _holders_guard:
            if path is not None:
                _holders.pop(path, None)
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def write_lock_held(self) -> bool:
        """Whether this connection holds the host's write lock (for tests and diagnostics)."""
        return self._lock_held

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self) -> Any:
        result = super()._commit()
        # A failed COMMIT leaves the transaction open: the rollback that follows releases.
        self._write_lock_release()
        return result

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._write_lock_release()

    def _set_autocommit(self, autocommit: bool) -> None:
        try:
            super()._set_autocommit(autocommit)
        finally:
            if autocommit:
                # Every atomic block ends here, however it ended.
                self._write_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()
        finally:
            self._write_lock_release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
            self._lock_fd = None
