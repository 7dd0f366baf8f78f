"""Errors a user can act on. The CLI prints their message (never a traceback) and maps them to exit codes."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SeedMTError(Exception):
    """Base class: the message is complete and meant for the user."""


class ModelNotAvailableError(SeedMTError):
    """The model is neither a local folder nor in the Hugging Face cache, and the hub cannot be reached."""


class ModelFormatError(SeedMTError):
    """The model folder exists but cannot be used (no safetensors weights, tokenizer without language codes...)."""


class OutputError(SeedMTError):
    """The output location cannot be written."""


@dataclass(frozen=True)
class SeedProblem:
    """One seed file that could not be processed, and why; the rest of the batch goes on."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"
