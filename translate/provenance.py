"""Provenance of a run: what produced the translations, recorded as data (sacrebleu-style signature)."""
from __future__ import annotations

import hashlib
import json
import platform
from importlib import metadata

from seedmt.dataset.schema import SCHEMA_VERSION
from seedmt.translate.settings import BatchingSettings, DecodingSettings

TRACKED_PACKAGES = ("seedmt", "torch", "transformers", "tokenizers", "ctranslate2", "datasets",
                    "sentencepiece", "py3langid", "sentencex", "sacrebleu")


_RUN_COLUMNS = {"model", "model_path", "revision", "weights_fingerprint", "backend", "device", "compute_type",
                "threads", "batching"}


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def run_signature(backend_info: dict, decoding: DecodingSettings, targets: list[str]) -> str:
    """`model:...|rev:...|backend:...|beam:4|maxnew:200|...` - enough to reproduce the run."""
    parts = [
        f"model:{backend_info.get('model')}",
        f"rev:{backend_info.get('revision') or 'local:' + str(backend_info.get('weights_fingerprint'))}",
        f"backend:{backend_info.get('backend')}",
        f"type:{backend_info.get('compute_type')}",
        f"beam:{decoding.beam_size}",
        f"maxnew:{decoding.max_new_tokens}",
        f"lp:{decoding.length_penalty}",
        f"tgt:{'+'.join(targets)}",
    ]
    if decoding.no_repeat_ngram_size:
        parts.append(f"norepeat:{decoding.no_repeat_ngram_size}")
    if backend_info.get("backend") == "ct2":
        parts.append(f"patience:{decoding.patience}")
    if backend_info.get("trim_vocabulary"):
        parts.append("vocab:target-script")
    return "|".join(parts)


def make_run_record(backend_info: dict, decoding: DecodingSettings, batching: BatchingSettings,
                    segmentation: dict, targets: list[str], started_at: str, finished_at: str,
                    inputs_digest: str, engine: dict) -> dict:
    """`run_id` names what was translated and how (system, settings, input documents), not when: the
    same command on the same seeds gives the same id, so a resumed run's dataset equals an uninterrupted one."""
    signature = run_signature(backend_info, decoding, targets)
    identity = f"{signature}|{json.dumps(segmentation, sort_keys=True)}|{inputs_digest}"
    run_id = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "model": backend_info.get("model"),
        "model_path": backend_info.get("model_path"),
        "revision": backend_info.get("revision"),
        "weights_fingerprint": backend_info.get("weights_fingerprint"),
        "backend": backend_info.get("backend"),
        "device": backend_info.get("device"),
        "compute_type": backend_info.get("compute_type"),
        "targets": list(targets),
        "decoding": json.dumps(decoding.as_dict(), sort_keys=True),
        "batching": json.dumps(backend_info.get("batching") or batching.as_dict(), sort_keys=True),
        "threads": json.dumps(backend_info.get("threads"), sort_keys=True),
        "engine": json.dumps(engine, sort_keys=True),
        "segmentation": json.dumps(segmentation, sort_keys=True),
        "versions": json.dumps(package_versions(), sort_keys=True),
        "signature": signature,
        "backend_details": json.dumps({k: v for k, v in backend_info.items() if k not in _RUN_COLUMNS},
                                      sort_keys=True, default=str),
        "schema_version": SCHEMA_VERSION,
    }
