"""Leases and execution records of work units (see docs/scale.md, "Leases, retries, resume").

A unit runs only while holding its lease, ``<unit>.lock``; each execution appends one line to
``<unit>.runs``, and the merge copies those lines into ``<protocol>.runs.jsonl`` beside the result.
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager


@contextmanager
def lease(unit):
    """Hold the unit's lock file for as long as it runs.

    ``filelock.FileLock`` is an ``flock`` on the lock file: the kernel releases it when the holder
    dies, so a killed worker never leaves a stale lease. On a shared filesystem this needs
    ``flock`` to work across machines (NFSv4 maps it to byte-range locks; Lustre needs the
    ``flock`` mount option; see docs/scale.md).
    """
    from filelock import FileLock

    unit.job.units_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(unit.path(".lock")))
    with lock:
        yield


def finished(unit) -> bool:
    """Has an earlier execution of ``unit`` recorded every one of its metrics for this protocol?"""
    path = unit.path(".partial.json")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return (
            state["protocol_digest"] == unit.job.protocol.digest()
            and len(state["sample_ids"]) == unit.n_images
            and set(unit.metrics) <= set(state["metrics"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def mark_execution(unit) -> None:
    """Append one line to the unit's ``.runs`` file: who ran it, and when (tests count these)."""
    line = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "t": time.time()})
    with open(unit.path(".runs"), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def executions(unit) -> list[dict]:
    """Every recorded execution of ``unit`` (host, pid, time), from its ``.runs`` file."""
    path = unit.path(".runs")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def execution_log(job):
    """``<model>/<protocol>.runs.jsonl``: every unit execution of the job's merged result (unit, host, pid, time)."""
    return job.final.with_suffix(".runs.jsonl")


def log_executions(job) -> None:
    """Append the executions of all the job's units to the merged result's ``.runs.jsonl``."""
    lines = [json.dumps({"unit": u.name, **r}) for u in job.units() for r in executions(u)]
    with open(execution_log(job), "a", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
