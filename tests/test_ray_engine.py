"""`seedmt translate --engine ray`: the same tables as the local engine, a killed worker or driver costs
nothing but time, failed batches are reported, and a missing Ray says how to install it.

Ray starts once for the session (2 CPUs); the driver-kill test runs the CLI in a subprocess that joins it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from datasets import load_from_disk

from seedmt.cli import main
from seedmt.translate.pipeline import TranslationJob, run_translation
from seedmt.translate.engines import BackendSpec, BatchFailure, LocalEngine
from seedmt.translate.ray_engine import RaySettings, TranslationWorker
from seedmt.dataset.schema import DOCUMENTS, RUNS
from seedmt.translate.settings import BatchingSettings, DecodingSettings
from tests.helpers import SEEDS_DIR, TEST_DECODING_ARGS, cache_rows, import_or_fail_in_ci, tables

pytestmark = pytest.mark.slow

ray = import_or_fail_in_ci("ray")
REPO = Path(__file__).resolve().parents[1]
COMMON = ["--max-input-tokens", "1024", *TEST_DECODING_ARGS]


@pytest.fixture(scope="session")
def ray_cluster():
    """One local Ray runtime for the session; its address lets a subprocess driver join it."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 2**20)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def worker_pids() -> list[int]:
    """Processes of this machine running a TranslationWorker actor (Ray names them after the class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "TranslationWorker" in command:
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="module")
def local_ct2(tiny_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("local-ct2") / "translations"
    assert main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(out), "--backend", "ct2",
                 *COMMON]) == 0
    return out


@pytest.mark.parametrize("backend", ["transformers", "ct2"])
def test_ray_engine_writes_the_tables_of_the_local_engine(ray_cluster, tiny_model, translated_dir, local_ct2,
                                                          tmp_path, backend, capsys):
    out = tmp_path / "translations"
    code = main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(out), "--backend", backend,
                 "--engine", "ray", "--workers", "2", *COMMON])
    assert code == 0, capsys.readouterr().err
    local = translated_dir if backend == "transformers" else local_ct2
    assert tables(out) == tables(local)
    engine = json.loads(load_from_disk(str(out))[RUNS][0]["engine"])
    assert engine["name"] == "ray" and engine["workers"] == 2 and engine["ray_version"] == ray.__version__


def test_a_killed_worker_is_replaced_and_the_tables_stay_identical(ray_cluster, tiny_model, translated_dir,
                                                                   tmp_path):
    # One segment per batch: enough batches that the kill lands mid-run.
    job = TranslationJob(seeds_dir=SEEDS_DIR, out_dir=tmp_path / "translations", model=str(tiny_model),
                         decoding=DecodingSettings(beam_size=4, max_new_tokens=12), max_input_tokens=1024,
                         batching=BatchingSettings(max_batch_size=1), engine=RaySettings(workers=2),
                         show_progress=False)
    outcome: dict = {}
    runner = threading.Thread(target=lambda: outcome.update(report=run_translation(job)))
    runner.start()
    killed = None
    deadline = time.monotonic() + 300
    while runner.is_alive() and killed is None and time.monotonic() < deadline:
        pids = worker_pids()
        if pids and cache_rows(job.resolved_cache_path()) >= 10:
            killed = pids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    runner.join(timeout=600)
    assert killed is not None, "the run finished before a worker could be killed"
    report = outcome["report"]
    assert not report.problems
    assert tables(job.out_dir) == tables(translated_dir)


def test_driver_killed_mid_run_resumes_with_only_the_missing_inputs(ray_cluster, tiny_model, translated_dir,
                                                                    tmp_path):
    out = tmp_path / "translations"
    command = [sys.executable, "-m", "seedmt", "translate", str(SEEDS_DIR), "--model", str(tiny_model),
               "--out", str(out), "--engine", "ray", "--ray-address", ray_cluster, "--max-batch-size", "1",
               *COMMON]
    cache = out.parent / "seedmt-cache.sqlite"
    driver = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while driver.poll() is None and cache_rows(cache) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.poll() is None, "the run finished before the driver could be killed"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    done_before = cache_rows(cache)
    assert not (out / "dataset_dict.json").exists()

    # The rerun may batch as it likes: the cache holds translations, not batches.
    rerun = subprocess.run(command[:command.index("--max-batch-size")] + command[command.index("--max-batch-size") + 2:],
                           cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    total = cache_rows(cache)
    assert done_before > 0
    assert f"({total - done_before} model inputs translated," in rerun.stdout
    assert tables(out) == tables(translated_dir)


def test_without_ray_the_engine_says_how_to_install_it(tiny_model, tmp_path):
    shim = tmp_path / "no-ray"
    (shim / "ray").mkdir(parents=True)
    (shim / "ray" / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), str(REPO)])}
    done = subprocess.run([sys.executable, "-m", "seedmt", "translate", str(SEEDS_DIR), "--model", str(tiny_model),
                           "--out", str(tmp_path / "out"), "--engine", "ray"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1
    assert 'pip install "seedmt[ray]"' in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_worker_reports_a_failing_batch_instead_of_failing_the_run(tiny_model):
    from seedmt.translate.model_source import resolve_model

    worker = TranslationWorker(BackendSpec("transformers", resolve_model(str(tiny_model)), "cpu", "float32",
                                           BatchingSettings(), {"threads": 1}))
    good = {"texts": ["გამარჯობა"], "src_langs": ["kat_Geor"], "tgt_lang": "eng_Latn",
            "decoding": DecodingSettings(max_new_tokens=4).as_dict()}
    bad = {**good, "tgt_lang": "xxx_Latn"}
    rows = worker({"batch": [0, 1], "request": [json.dumps(good), json.dumps(bad)]})
    assert rows["batch"] == [0, 1]
    assert rows["error"][0] == "" and len(json.loads(rows["outputs"][0])) == 1
    assert "xxx_Latn" in rows["error"][1] and rows["outputs"][1] == "null"


class FailingForOneDocument(LocalEngine):
    """Fault injection: the real tiny-model backend in an engine whose every batch holding a segment of the
    Korean seed fails, the way the Ray engine reports a batch that failed on every attempt."""

    def __init__(self, backend, failing_lang: str) -> None:
        super().__init__(lambda: backend, backend.describe())
        self.failing_lang = failing_lang

    def translate(self, requests, settings):
        failures = []
        for request in requests:
            keep = [i for i, lang in enumerate(request.src_langs) if lang != self.failing_lang]
            outputs = self.backend.translate_segments([request.texts[i] for i in keep],
                                                      [request.src_langs[i] for i in keep], request.tgt_lang, settings)
            request.on_batch(keep, outputs)
            lost = [i for i in range(len(request.texts)) if i not in keep]
            failures.append(BatchFailure([request.texts[i] for i in lost], [request.src_langs[i] for i in lost],
                                         request.tgt_lang, "RayActorError: the worker died 3 times"))
        return failures


def test_failed_batches_are_reported_with_segment_ids_and_the_rest_is_written(tiny_model, tmp_path, capsys):
    from seedmt.translate.backends import load_backend
    from seedmt.translate.model_source import resolve_model

    engine = FailingForOneDocument(load_backend("transformers", resolve_model(str(tiny_model))), "kor_Hang")
    job = TranslationJob(seeds_dir=SEEDS_DIR, out_dir=tmp_path / "translations", model=str(tiny_model),
                         decoding=DecodingSettings(beam_size=4, max_new_tokens=12), max_input_tokens=1024,
                         similarity=False, show_progress=False)
    report = run_translation(job, engine=engine)
    assert [p.path.name for p in report.problems] == ["004_673d402516499681.txt"]
    assert "004_673d402516499681:0000" in report.problems[0].problem
    assert "the worker died 3 times" in report.problems[0].problem
    written = load_from_disk(str(job.out_dir))
    assert "004_673d402516499681" not in written[DOCUMENTS]["doc_id"] and len(written[DOCUMENTS]) == 4
