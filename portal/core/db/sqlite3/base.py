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
"""

import fcntl
import os
import threading
from typing import Any

from django.db.backends.sqlite3 import base

# Per lock file: the thread holding it in this process, so that a second
# connection of the same thread falls back on SQLite's busy handler instead
# of waiting for itself forever.
_holders: dict[str, int] = {}
_holders_guard = threading.Lock()

# The stubs leave out the transaction hooks overridden here.
_SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(_SQLiteWrapper):
    _lock_fd: int | None = None
    _lock_pid: int | None = None
    _lock_held = False

    def _write_lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or name.startswith("file:"):
            return None
        return f"{name}.write-lock"

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
