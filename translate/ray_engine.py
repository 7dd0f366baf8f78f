"""Distributed translation on Ray Data: `seedmt translate --engine ray`.

Planning stays on the driver (ingest, language ID, segmentation, cache look-up, token counts with the
tokenizer only); `RayTranslator` stands in for a backend there. The model inputs still missing, for every
target, are cut into the same token-budget batches as the local engine; each batch becomes one block of one
Ray Dataset, and `map_batches` runs the blocks on a fixed pool of actors (`TranslationWorker`) that each load
the backend once for the run. Finished batches stream back to the driver, which writes them to the SQLite
segment cache as they arrive: killing the driver loses at most the batches in flight, and the same command
resumes.

Failures: an actor whose process dies is restarted by Ray (`max_restarts=-1`) and its batch retried up to
`MAX_BATCH_ATTEMPTS` times (`max_task_retries`). A batch that raises in Python, or that still fails after
its retries, is reported with its segments and the run completes without it (exit 3)."""
from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

from seedmt.translate.backends import BatchCallback, planned_description
from seedmt.translate.batching import token_budget_batches
from seedmt.translate.errors import SeedMTError
from seedmt.translate.model_source import ResolvedModel
from seedmt.translate.settings import BatchingSettings, DecodingSettings

log = logging.getLogger(__name__)
MAX_BATCH_ATTEMPTS = 3
INSTALL_HINT = 'the Ray engine needs Ray Data: pip install "seedmt[ray]" (or pip install "ray[data]")'


class RayUnavailableError(SeedMTError):
    """Ray is not installed, or the cluster cannot be reached."""


@dataclass(frozen=True)
class RaySettings:
    address: str | None = None  # None: start a local Ray runtime; "auto" or "ray://host:port": join a cluster
    workers: int = 2  # actors, each holding one copy of the model
    cpus_per_worker: float = 1.0  # also the worker's CPU threads (at least 1)
    gpus_per_worker: float = 0.0


@dataclass
class BatchFailure:
    """A batch that did not translate; `texts` are the model inputs it held."""

    texts: list[str]
    src_langs: list[str]
    tgt_lang: str
    error: str


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise RayUnavailableError(INSTALL_HINT) from None
    if not logging.getLogger().isEnabledFor(logging.INFO):
        # seedmt shows its own progress bar and summary; Ray Data's per-dataset lines are for `-v`.
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray


def start_ray(settings: RaySettings) -> dict:
    """Connect to (or start) Ray once per process; returns what the runs table records about the engine."""
    ray = import_ray()
    if not ray.is_initialized():
        try:
            if settings.address:
                ray.init(address=settings.address, log_to_driver=False)
            else:
                ray.init(log_to_driver=False, include_dashboard=False)
        except Exception as err:  # noqa: BLE001 - connection and start-up failures have many types
            where = settings.address or "a local Ray runtime"
            raise RayUnavailableError(f"cannot start or reach {where}: {err}") from None
    return {"name": "ray", "workers": settings.workers, "cpus_per_worker": settings.cpus_per_worker,
            "gpus_per_worker": settings.gpus_per_worker, "address": settings.address or "local",
            "ray_version": ray.__version__}


class TranslationWorker:
    """A Ray Data actor: loads the backend once, then translates one planned batch per call."""

    def __init__(self, backend: str, model: ResolvedModel, device: str, compute_type: str,
                 batching: BatchingSettings, backend_options: dict) -> None:
        from seedmt.translate.backends import load_backend

        self.backend = load_backend(backend, model, device=device, compute_type=compute_type, batching=batching,
                                    **backend_options)

    def __call__(self, rows: dict) -> dict:
        outputs, errors = [], []
        for request in rows["request"]:
            request = json.loads(request)
            settings = DecodingSettings(**request["decoding"])
            try:
                translated = self.backend.translate_segments(request["texts"], request["src_langs"],
                                                             request["tgt_lang"], settings)
                outputs.append(json.dumps(translated, ensure_ascii=False))
                errors.append("")
            except Exception as err:  # noqa: BLE001 - reported per batch; the rest of the run goes on
                outputs.append("null")
                errors.append(f"{type(err).__name__}: {err}")
        return {"batch": list(rows["batch"]), "outputs": outputs, "error": errors}


@dataclass
class RayTranslator:
    """The Ray engine behind the backend interface the pipeline uses (`translate_segments`, `count_tokens`,
    `describe`); only the tokenizer is loaded on the driver."""

    backend: str
    model: ResolvedModel
    settings: RaySettings
    device: str = "auto"
    compute_type: str = "auto"
    batching: BatchingSettings = field(default_factory=BatchingSettings)
    backend_options: dict = field(default_factory=dict)
    failures: list[BatchFailure] = field(default_factory=list)
    name: str = "ray"

    def __post_init__(self) -> None:
        from seedmt.translate.backends.nllb_tokenizer import load_tokenizer

        self.engine = start_ray(self.settings)
        self.tokenizer = load_tokenizer(self.model.path)
        self.worker_device = self._worker_device()
        self.batching = self.batching.for_device("cpu" if self.worker_device == "cpu" else "cuda")
        threads = max(1, int(self.settings.cpus_per_worker))
        self.worker_options = {**self.backend_options, "threads": self.backend_options.get("threads") or threads}

    @property
    def model_source(self) -> ResolvedModel:
        return self.model

    def _worker_device(self) -> str:
        if self.device != "auto":
            return self.device
        return "cuda" if self.settings.gpus_per_worker > 0 else "cpu"

    def describe(self) -> dict:
        info = planned_description(self.backend, self.model, device=self.worker_device,
                                   compute_type=self.compute_type, **self.backend_options)
        threads = int(self.worker_options["threads"])
        inter = int(self.worker_options.get("inter_threads") or (threads if self.backend == "ct2" else 1))
        return {**info, "batching": self.batching.as_dict(),
                "threads": {"threads": threads, "inter_threads": inter, "intra_threads": max(1, threads // inter),
                            "automatic": False, "per": "worker"}}

    def count_tokens(self, segments: Sequence[str], src_langs: str | Sequence[str]) -> list[int]:
        from seedmt.translate.backends.nllb_tokenizer import count_source_tokens

        return count_source_tokens(self.tokenizer, segments, src_langs)

    def translate_segments(self, segments: Sequence[str], src_langs: str | Sequence[str], tgt_lang: str,
                           settings: DecodingSettings, on_batch: BatchCallback | None = None) -> None:
        """One target; see `translate_targets`."""
        self.translate_targets([(segments, src_langs, tgt_lang, on_batch)], settings)

    def translate_targets(self, requests: Sequence[tuple[Sequence[str], str | Sequence[str], str,
                                                          BatchCallback | None]],
                          settings: DecodingSettings) -> None:
        """Translate (segments, source language(s), target, on_batch) requests in one Ray dataset, so each
        actor loads the model once for the whole run; `on_batch` gets each finished batch of its request.
        Batches that fail are listed in `failures` and their inputs left untranslated."""
        from seedmt.translate.backends.nllb_tokenizer import language_token_id, per_row

        planned: list[tuple[int, list[int]]] = []  # (request, input positions) per batch
        rows: list[dict] = []
        langs_of: list[list[str]] = []
        for number, (segments, src_langs, tgt_lang, _) in enumerate(requests):
            language_token_id(self.tokenizer, tgt_lang)
            langs = per_row(src_langs, len(segments))
            langs_of.append(langs)
            lengths = self.count_tokens(segments, langs)
            for batch in token_budget_batches(lengths, self.batching.max_batch_tokens, self.batching.max_batch_size):
                rows.append({"batch": len(planned), "request": json.dumps({
                    "texts": [segments[i] for i in batch], "src_langs": [langs[i] for i in batch],
                    "tgt_lang": tgt_lang, "decoding": settings.as_dict()}, ensure_ascii=False)})
                planned.append((number, batch))
        if not rows:
            return
        returned: set[int] = set()
        for row in self._run(rows):
            index = int(row["batch"])
            number, batch = planned[index]
            segments, _, tgt_lang, on_batch = requests[number]
            returned.add(index)
            if row["error"]:
                self._fail(batch, segments, langs_of[number], tgt_lang, row["error"])
            elif on_batch:
                on_batch(batch, json.loads(row["outputs"]))
        for index, (number, batch) in enumerate(planned):
            if index not in returned:
                segments, _, tgt_lang, _ = requests[number]
                self._fail(batch, segments, langs_of[number], tgt_lang,
                           f"no result after {MAX_BATCH_ATTEMPTS} attempts")

    def _fail(self, batch: list[int], segments: Sequence[str], langs: list[str], tgt_lang: str, error: str) -> None:
        self.failures.append(BatchFailure([segments[i] for i in batch], [langs[i] for i in batch], tgt_lang, error))

    def _run(self, requests: list[dict]):
        """Rows of (batch, outputs, error), streamed in completion order."""
        ray = import_ray()
        context = ray.data.DataContext.get_current()
        saved = context.max_errored_blocks, context.enable_progress_bars
        # A batch whose block fails after its retries is skipped, not fatal: the driver reports it.
        context.max_errored_blocks = len(requests)
        context.enable_progress_bars = False  # seedmt's own progress bar counts the finished inputs
        try:
            yield from self._map(ray, requests)
        finally:
            context.max_errored_blocks, context.enable_progress_bars = saved

    def _map(self, ray, requests: list[dict]):
        dataset = ray.data.from_items(requests, override_num_blocks=len(requests))
        with warnings.catch_warnings():
            # Ray's actor options (restarts, task retries) still travel as map_batches' remote args; newer Ray
            # deprecates that spelling without yet offering another for max_task_retries.
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*deprecated")
            translated = dataset.map_batches(
                TranslationWorker, batch_size=None, batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=self.settings.workers),
                fn_constructor_kwargs={"backend": self.backend, "model": self.model, "device": self.worker_device,
                                       "compute_type": self.compute_type, "batching": self.batching,
                                       "backend_options": self.worker_options},
                num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker or None,
                max_restarts=-1, max_task_retries=MAX_BATCH_ATTEMPTS)
        yield from translated.iter_rows()
