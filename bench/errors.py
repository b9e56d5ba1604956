"""User-facing errors: the CLI prints these as one paragraph, without a traceback.

Anything that is *not* a :class:`BenchError` is a bug in bench and keeps its
traceback.
"""

from __future__ import annotations


class BenchError(Exception):
    """A problem the user can fix (bad input, missing file, ...)."""

    exit_code = 2


class UnknownNameError(BenchError, KeyError):
    """A name that is not registered; the message carries suggestions."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SpecError(BenchError):
    """A YAML file (registry entry, protocol, submission) that does not validate."""


class MissingFileError(BenchError):
    """A data set or checkpoint that is not where it must be."""


class ChecksumError(BenchError):
    """A file whose SHA-256 differs from the pinned one."""


class UnsafeCheckpointError(BenchError):
    """A checkpoint that asks to run code or to build objects we do not admit."""


class DownloadError(BenchError):
    """A download that failed or returned something that is not the file."""
