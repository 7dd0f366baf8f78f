"""Find a checkpoint on disk: a local folder, or a Hugging Face hub id resolved through the local cache
first and the hub second. Offline, a missing model fails at once with a message saying what to do."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.errors import ModelNotAvailableError

DEFAULT_MODEL = "facebook/nllb-200-distilled-600M"
# Only what inference needs: safetensors weights, configs and tokenizer files, never pickled *.bin.
HUB_FILE_PATTERNS = ["*.json", "*.safetensors", "*.model", "*.txt"]
_FINGERPRINT_CHUNK = 1 << 20


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # as the user gave it
    path: Path  # local folder holding config, tokenizer and weights
    revision: str | None  # hub commit hash when known
    fingerprint: str  # identifies the weights without reading gigabytes

    def as_dict(self) -> dict:
        return {"model": self.name, "model_path": str(self.path), "revision": self.revision,
                "weights_fingerprint": self.fingerprint}


def weights_fingerprint(folder: Path) -> str:
    """sha256 over each weights file's name, size, first and last MiB: changes when the weights do."""
    digest = hashlib.sha256()
    files = sorted(folder.glob("*.safetensors")) or sorted(folder.glob("*.bin"))
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.name}:{size}".encode())
        with file.open("rb") as handle:
            digest.update(handle.read(_FINGERPRINT_CHUNK))
            handle.seek(max(0, size - _FINGERPRINT_CHUNK))
            digest.update(handle.read(_FINGERPRINT_CHUNK))
    return digest.hexdigest()[:16]


def _missing_model_message(name: str, reason: str) -> str:
    return (
        f"Model '{name}' is not available: {reason}\n"
        f"  - It is not a local folder, and it is not in the Hugging Face cache "
        f"({os.environ.get('HF_HUB_CACHE') or os.environ.get('HF_HOME') or '~/.cache/huggingface'}).\n"
        f"  - To use a checkpoint you already have, pass its folder: --model /path/to/nllb-200-distilled-600M\n"
        f"    (the folder needs config.json, *.safetensors weights and the tokenizer files).\n"
        f"  - With network access, `hf download {name}` puts it in the cache."
    )


def resolve_model(name_or_path: str, revision: str | None = None) -> ResolvedModel:
    local = Path(name_or_path).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelNotAvailableError(_missing_model_message(name_or_path, f"{local} has no config.json"))
        return ResolvedModel(name_or_path, local.resolve(), revision, weights_fingerprint(local))
    if name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:
        raise ModelNotAvailableError(_missing_model_message(name_or_path, "no such folder"))
    return _resolve_hub_id(name_or_path, revision)


def _resolve_hub_id(repo_id: str, revision: str | None) -> ResolvedModel:
    # Bounded timeouts: a blackholed network must fail in seconds, not hang the batch.
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "10")
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILE_PATTERNS,
                                   local_files_only=True)
    except Exception:  # noqa: BLE001 - any cache miss means: try the hub
        if os.environ.get("HF_HUB_OFFLINE", "0").lower() in {"1", "true", "yes", "on"}:
            raise ModelNotAvailableError(
                _missing_model_message(repo_id, "HF_HUB_OFFLINE is set and the model is not cached")
            ) from None
        try:
            folder = snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILE_PATTERNS)
        except Exception as err:  # noqa: BLE001 - network, auth and 404 all end the same way for the user
            first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelNotAvailableError(
                _missing_model_message(repo_id, f"the Hugging Face hub could not be reached ({first_line})")
            ) from None
    path = Path(folder)
    commit = path.name if path.parent.name == "snapshots" else revision
    return ResolvedModel(repo_id, path, commit, weights_fingerprint(path))
