"""Errors a user can act on. The CLI prints their message (never a traceback) and maps them to exit codes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SeedMTError(Exception):
    """Base class: the message is complete and meant for the user."""


class SettingsError(SeedMTError):
    """An option that cannot work (unknown code or identifier, impossible thread layout...); found before any
    input is read. The CLI reports it as a usage error (exit 2)."""


class ModelNotAvailableError(SeedMTError):
    """The model is neither a local folder nor in the Hugging Face cache, and the hub cannot be reached."""


class ModelFormatError(SeedMTError):
    """The model folder exists but cannot be used (no safetensors weights, tokenizer without language codes...)."""


class OutputError(SeedMTError):
    """The output location cannot be written."""


def output_error(what: str, path, err: OSError) -> OutputError:
    """One line for the user: which output, where, and what the OS said (no space, read-only, ...)."""
    problem = err.strerror or str(err) or type(err).__name__
    detail = f" (at {err.filename})" if getattr(err, "filename", None) and str(err.filename) != str(path) else ""
    return OutputError(f"cannot write {what + ' ' if what else ''}{path}: {problem}{detail}")


class OutputBusyError(OutputError):
    """Another seedmt run holds the output folder's lock."""


@dataclass(frozen=True)
class SeedProblem:
    """Something about one seed file, for the user: either it was rejected (the rest of the batch goes on),
    or it was taken with a warning (`rejected=False`: cleaned text, duplicate content, not a seed...)."""

    path: Path
    problem: str
    rejected: bool = True

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"
