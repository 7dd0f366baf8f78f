"""Distributed translation on Ray Data: `seedmt translate --engine ray`.

Planning stays on the driver (ingest, language ID, segmentation, cache look-up, token counts with the
tokenizer only); `RayEngine` is the pipeline's engine there (seedmt.translate.engines). The model inputs still missing, for every
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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace

from seedmt.core.errors import SeedMTError, SettingsError
from seedmt.translate.backends.nllb_tokenizer import count_source_tokens, language_token_id, load_tokenizer
from seedmt.translate.batching import token_budget_batches
from seedmt.translate.engines import BackendSpec, BatchFailure, TranslationRequest
from seedmt.translate.settings import DecodingSettings

log = logging.getLogger(__name__)
MAX_BATCH_ATTEMPTS = 3
INSTALL_HINT = 'the Ray engine needs Ray Data: pip install "seedmt[ray]" (or pip install "ray[data]")'


class RayUnavailableError(SeedMTError):
    """Ray is not installed, or the cluster cannot be reached."""


@dataclass(frozen=True)
class RaySettings:
    """Translate on Ray Data actors (`--engine ray`)."""

    address: str | None = None  # None: start a local Ray runtime; "auto" or "ray://host:port": join a cluster
    workers: int = 2  # actors, each holding one copy of the model
    cpus_per_worker: float = 1.0  # also the worker's CPU threads (at least 1)
    gpus_per_worker: float = 0.0

    def check(self) -> None:
        if self.workers < 1 or self.cpus_per_worker <= 0 or self.gpus_per_worker < 0:
            raise SettingsError("--workers and --cpus-per-worker must be positive, --gpus-per-worker at least 0")
        import_ray()  # says how to install Ray before any seed is read

    def build(self, spec: BackendSpec) -> RayEngine:
        return RayEngine(spec, self)


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

    def __init__(self, spec: BackendSpec) -> None:
        self.backend = spec.load()

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


class RayEngine:
    """The backend on a pool of Ray Data actors; only the tokenizer is loaded on the driver, and Ray is
    started (or joined) on first need."""

    def __init__(self, spec: BackendSpec, settings: RaySettings) -> None:
        self.settings = settings
        self.worker_device = spec.device if spec.device != "auto" else (
            "cuda" if settings.gpus_per_worker > 0 else "cpu")
        threads = max(1, int(settings.cpus_per_worker))
        self.spec = replace(spec, device=self.worker_device,
                            batching=spec.batching.for_device("cpu" if self.worker_device == "cpu" else "cuda"),
                            options={**spec.options, "threads": spec.options.get("threads") or threads})
        self._planned = spec.planned()
        self._started: dict | None = None
        self._tokenizer = None

    def _start(self):
        """Ray and the driver's tokenizer, on first need."""
        if self._started is None:
            self._started = start_ray(self.settings)
            self._tokenizer = load_tokenizer(self.spec.model.path)
        return self._tokenizer

    def planned(self) -> dict:
        return self._planned

    def describe(self) -> dict:
        if self._started is None:
            return {**self._planned, "model_loaded": False}
        threads = int(self.spec.options["threads"])
        inter = int(self.spec.options.get("inter_threads") or (threads if self.spec.name == "ct2" else 1))
        return {**self.spec.planned(), "batching": self.spec.batching.as_dict(),
                "threads": {"threads": threads, "inter_threads": inter, "intra_threads": max(1, threads // inter),
                            "automatic": False, "per": "worker"}}

    def record(self) -> dict:
        # Ray reports its version once started; a run served wholly from the cache never starts it.
        return self._started or {"name": "ray", "workers": self.settings.workers, "started": False}

    def running(self) -> AbstractContextManager:
        return nullcontext()  # the driver does not translate; workers use the CPUs Ray gives them

    def count_tokens(self, texts: Sequence[str], src_langs: Sequence[str]) -> list[int]:
        return count_source_tokens(self._start(), texts, src_langs)

    def translate(self, requests: Sequence[TranslationRequest], settings: DecodingSettings) -> list[BatchFailure]:
        """Every request's batches go into one Ray dataset, so each actor loads the model once for the whole
        run. Batches that fail are returned and their inputs left untranslated."""
        tokenizer = self._start()
        planned: list[tuple[int, list[int]]] = []  # (request, input positions) per batch
        rows: list[dict] = []
        for number, request in enumerate(requests):
            language_token_id(tokenizer, request.tgt_lang)
            lengths = count_source_tokens(tokenizer, request.texts, request.src_langs)
            for batch in token_budget_batches(lengths, self.spec.batching.max_batch_tokens,
                                              self.spec.batching.max_batch_size):
                rows.append({"batch": len(planned), "request": json.dumps({
                    "texts": [request.texts[i] for i in batch], "src_langs": [request.src_langs[i] for i in batch],
                    "tgt_lang": request.tgt_lang, "decoding": settings.as_dict()}, ensure_ascii=False)})
                planned.append((number, batch))
        failures: list[BatchFailure] = []

        def fail(index: int, error: str) -> None:
            number, batch = planned[index]
            request = requests[number]
            failures.append(BatchFailure([request.texts[i] for i in batch], [request.src_langs[i] for i in batch],
                                         request.tgt_lang, error))

        returned: set[int] = set()
        for row in self._run(rows) if rows else ():
            index = int(row["batch"])
            returned.add(index)
            number, batch = planned[index]
            if row["error"]:
                fail(index, row["error"])
            elif requests[number].on_batch:
                requests[number].on_batch(batch, json.loads(row["outputs"]))
        for index in range(len(planned)):
            if index not in returned:
                fail(index, f"no result after {MAX_BATCH_ATTEMPTS} attempts")
        return failures

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
                fn_constructor_kwargs={"spec": self.spec},
                num_cpus=self.settings.cpus_per_worker, num_gpus=self.settings.gpus_per_worker or None,
                max_restarts=-1, max_task_retries=MAX_BATCH_ATTEMPTS)
        yield from translated.iter_rows()
