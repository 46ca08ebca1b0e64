"""Which process holds an outbox row it is sending (the `Lease` holder), and whether it is still alive.

A holder is "host:pid:start", `start` being the process's start time as the kernel counts it
(/proc/PID/stat), so that a later process given the same pid is not taken for the one that died.
Where /proc is missing, the pid alone is checked. A holder on another host is never judged gone
here: its claims run out with the lease's time.
"""
from __future__ import annotations

import os
import socket
from functools import lru_cache


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), None if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()  # the name, in brackets, may hold spaces
    except OSError:
        return None
    return fields[19].decode("ascii")  # fields[0] is the state, field 3 of the line


@lru_cache(maxsize=None)
def _this_holder(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"


def this_process() -> str:
    """This process as a lease holder (computed again after a fork: the pid is part of the key)."""
    return _this_holder(os.getpid())


def gone(holder: str) -> bool:
    """True if `holder` is a process of this host that has ended; False if it lives or cannot be seen."""
    host, _, rest = holder.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if os.path.isdir("/proc/self"):
        now_start = _start_time(pid)
        return now_start is None or (bool(start) and now_start != start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists, owned by another user
        return False
    return False
