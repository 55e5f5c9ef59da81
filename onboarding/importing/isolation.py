"""Running a function in a child process under a memory and a CPU-time limit (Linux).

Reading an uploaded file is bounded by construction (`parsing`, `xlsx`); this is the
second wall, for what a bound misses. The process forks; the child lowers its address
space limit (RLIMIT_AS) to its current size plus `memory` and its CPU time (RLIMIT_CPU),
runs the function, sends the result back through a pipe and ends at once (`os._exit`: no
clean-up that would touch the database connections or files it shares with its parent).
The child may also reuse what its parent's heap had free, which adds no address space:
`memory` is what it can take from the machine, not all it can use. Only the calling
thread lives on in the child (a threaded worker's other threads do not), and the function
must not use the database or anything another thread may hold locked at the fork: reading
bytes into a table does neither.

A child that runs out of memory (MemoryError, or killed) or of time, or that dies, makes
the call raise `LimitExceededError`; an `ApplicationError` it raised is raised again here, with
its message, code and field; any other error is a bug, raised as a RuntimeError.

The result travels pickled: it was made by this very code in the child, from values the
file gave, never from bytes the file chose. Elsewhere than Linux (no /proc, no enforced
RLIMIT_AS) the function runs in this process.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

from relier_platform.errors import ApplicationError

T = TypeVar("T")
RESET_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
                 "SIGXCPU")


class LimitExceededError(Exception):
    """The child ran out of memory or time, or died."""


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _lower(limit: int, wanted: int) -> None:
    _soft, hard = resource.getrlimit(limit)
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(limit, (value, value))


def _child(write_end: int, func: Callable[..., Any], args: tuple[Any, ...], memory: int,
           cpu_seconds: int) -> None:
    """Runs in the child; never returns."""
    status = 0
    try:
        for name in RESET_SIGNALS:  # the parent's handlers (Celery, gunicorn) are not ours
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _lower(resource.RLIMIT_CPU, cpu_seconds)
        _lower(resource.RLIMIT_AS, _address_space() + memory)
        try:
            outcome: tuple[Any, ...] = ("ok", func(*args))
        except ApplicationError as error:
            outcome = ("refused", error.message, error.code, error.field)
        except MemoryError:
            outcome = ("limit",)
        except Exception as error:
            outcome = ("crash", f"{type(error).__name__}: {error}")
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("limit",))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _read(read_end: int, pid: int, timeout: float) -> bytes:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            break
        ready, _w, _x = select.select([read_end], [], [], remaining)
        if ready:
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _wait(pid: int) -> int | None:
    """The child's exit code (minus the signal that killed it); None if it was reaped
    elsewhere (SIGCHLD ignored)."""
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


def run_isolated(func: Callable[..., T], *args: Any, memory: int, cpu_seconds: int,
                 timeout: float) -> T:
    """`func(*args)` in a child process using at most `memory` more bytes and
    `cpu_seconds` of CPU, waited for at most `timeout` seconds."""
    if not sys.platform.startswith("linux"):
        return func(*args)
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except BaseException:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:
        os.close(read_end)
        _child(write_end, func, args, memory, cpu_seconds)
    os.close(write_end)
    try:
        data = _read(read_end, pid, timeout)
    finally:
        os.close(read_end)
        exit_code = _wait(pid)
    if not data or exit_code not in (0, None):
        raise LimitExceededError(f"child ended with exit code {exit_code}")
    try:
        outcome = pickle.loads(data)  # noqa: S301 (written by our own child, see above)
    except Exception as error:
        raise LimitExceededError("child sent an incomplete result") from error
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "refused":
        raise ApplicationError(outcome[1], code=outcome[2], field=outcome[3])
    if outcome[0] == "limit":
        raise LimitExceededError("child ran out of memory")
    raise RuntimeError(f"reading in a child process failed: {outcome[1]}")
