"""CPU threads: the setting reaches both engines, runs share the cores, batches run in flight in order, and
segments of several source languages share batches without changing any translation."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from datasets import load_from_disk

from seedmt.translate.backends import load_backend
from seedmt.translate.batching import run_in_flight
from seedmt.cli import main
from seedmt.translate.model_source import resolve_model
from seedmt.translate.pipeline import TranslationJob, run_translation
from seedmt.dataset.schema import RUNS, SEGMENTS
from seedmt.translate.settings import BatchingSettings, DecodingSettings
from seedmt.core.threads import (REGISTRY_ENV, available_cpus, cgroup_cpu_limit, fair_share, plan_layout,
                                      process_registry)
from tests.helpers import SEEDS_DIR, TEST_DECODING_ARGS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cpu-share"
    monkeypatch.setenv(REGISTRY_ENV, str(folder))
    return folder


def test_transformers_threads_setting_reaches_torch(tiny_model):
    import torch

    backend = load_backend("transformers", resolve_model(str(tiny_model)), threads=1)
    assert torch.get_num_threads() == 1
    assert backend.describe()["threads"] == {"threads": 1, "inter_threads": 1, "intra_threads": 1,
                                             "automatic": False}
    load_backend("transformers", resolve_model(str(tiny_model)), threads=2)
    assert torch.get_num_threads() == 2


def test_ct2_threads_setting_reaches_ctranslate2(tiny_model, tmp_path):
    model = resolve_model(str(tiny_model))
    backend = load_backend("ct2", model, compute_type="float32", threads=2, inter_threads=2, cache_dir=tmp_path)
    backend.translate_segments(["ნახვამდის"], "kat_Geor", "eng_Latn", DecodingSettings(max_new_tokens=4))
    translator = backend._translator("eng_Latn")
    assert translator.num_translators == 2  # CTranslate2's own count of parallel workers
    assert backend.describe()["threads"] == {"threads": 2, "inter_threads": 2, "intra_threads": 1,
                                             "automatic": False}
    one = load_backend("ct2", model, compute_type="float32", threads=2, inter_threads=1, cache_dir=tmp_path)
    one.translate_segments(["ნახვამდის"], "kat_Geor", "eng_Latn", DecodingSettings(max_new_tokens=4))
    assert one._translator("eng_Latn").num_translators == 1
    assert one.describe()["threads"]["intra_threads"] == 2


def test_thread_options_are_checked_before_any_work(tiny_model, tmp_path, capsys):
    code = main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(tmp_path / "o"),
                 "--inter-threads", "2"])
    assert code == 2 and "--inter-threads applies to --backend ct2 only" in capsys.readouterr().err
    code = main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(tmp_path / "o"),
                 "--backend", "ct2", "--threads", "1", "--inter-threads", "2"])
    assert code == 2 and "exceeds --threads 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_available_cpus_follows_affinity_and_cgroup_quota(tmp_path):
    script = "import os; os.sched_setaffinity(0, {0}); " \
             "from seedmt.core.threads import available_cpus; print(available_cpus())"
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout.strip() == "1"
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None
    assert 1 <= available_cpus() <= (os.cpu_count() or 1)


def _translating_child(registry: Path) -> subprocess.Popen:
    """Another seedmt process in the middle of a translation (holds its registration until killed)."""
    code = textwrap.dedent("""
        import sys, time
        from seedmt.core.threads import process_registry
        with process_registry().translating():
            print("registered", flush=True)
            time.sleep(600)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, REGISTRY_ENV: str(registry)})
    assert child.stdout.readline().strip() == "registered"
    return child


@pytest.mark.slow
def test_concurrent_runs_share_the_cores_and_a_killed_run_frees_its_share(registry):
    assert fair_share(4) == 4
    first = _translating_child(registry)
    second = _translating_child(registry)
    try:
        assert fair_share(4) == 4 // 3
        assert plan_layout("ct2").threads == max(1, available_cpus() // 3)
        with process_registry().translating():
            assert fair_share(4) == 1  # still 4 // 3: this process counts itself once
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert fair_share(4) == 2
        assert len(list(registry.glob("*.run"))) == 1  # the killed process's file was removed
    finally:
        for child in (first, second):
            child.kill()
            child.wait()
    assert fair_share(4) == 4


def test_idle_process_holds_no_registration(registry):
    with process_registry().translating():
        with process_registry().translating():
            assert len(list(registry.glob("*.run"))) == 1
        assert len(list(registry.glob("*.run"))) == 1
    assert list(registry.glob("*.run")) == []


def test_batches_in_flight_keep_input_order_and_report_in_submission_order():
    lengths = [5, 30, 12, 30, 7, 22, 3, 18, 9]
    running: list[list[int]] = []
    most_pending = 0
    reported: list[list[int]] = []

    def submit(batch: list[int]):
        nonlocal most_pending
        running.append(batch)
        most_pending = max(most_pending, len(running))

        def wait() -> list[str]:
            running.remove(batch)
            return [f"out{i}" for i in batch]
        return wait

    results = run_in_flight(lengths, max_tokens=40, max_size=2, submit_batch=submit, in_flight=2,
                            on_batch=lambda batch, _: reported.append(batch))
    assert results == [f"out{i}" for i in range(len(lengths))]
    assert most_pending == 3  # two running, one queued
    assert [i for batch in reported for i in batch] == sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["transformers", "ct2"])
def test_cross_language_batches_translate_exactly_as_per_language_batches(tiny_model, tmp_path, backend):
    def run(mix: bool) -> list[dict]:
        job = TranslationJob(
            seeds_dir=SEEDS_DIR, out_dir=tmp_path / f"{backend}-{mix}", model=str(tiny_model), backend=backend,
            compute_type="float32", decoding=DecodingSettings(beam_size=4, max_new_tokens=12),
            batching=BatchingSettings(max_batch_tokens=512, max_batch_size=6), mix_languages=mix,
            backend_options={"cache_dir": tmp_path / "ct2"} if backend == "ct2" else {}, use_cache=False,
            similarity=False, max_input_tokens=1024)
        report = run_translation(job)
        assert not report.problems
        return load_from_disk(str(job.out_dir))[SEGMENTS].to_list()

    mixed, separate = run(True), run(False)
    assert len({row["source_lang"] for row in mixed}) == 5
    assert mixed == separate


def test_runs_table_records_thread_layout_and_engine(translated_dir):
    run = load_from_disk(str(translated_dir))[RUNS][0]
    layout = json.loads(run["threads"])
    assert set(layout) == {"threads", "inter_threads", "intra_threads", "automatic"}
    assert layout["threads"] == layout["inter_threads"] * layout["intra_threads"] >= 1
    assert json.loads(run["engine"]) == {"name": "local"}
    assert json.loads(run["batching"])["max_batch_size"] > 0


@pytest.mark.slow
def test_two_concurrent_cli_runs_both_finish(tiny_model, tmp_path, registry):
    """Two `seedmt translate` processes at once: both complete with identical segments."""
    env = {**os.environ, REGISTRY_ENV: str(registry)}
    command = [sys.executable, "-m", "seedmt", "translate", str(SEEDS_DIR), "--model", str(tiny_model),
               "--max-input-tokens", "1024", "--no-similarity", "--no-cache", *TEST_DECODING_ARGS]
    procs = [subprocess.Popen([*command, "--out", str(tmp_path / f"out{i}")], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
    first, second = (load_from_disk(str(tmp_path / f"out{i}"))[SEGMENTS].to_list() for i in range(2))
    assert first == second


@pytest.mark.parametrize("threads, inter_threads", [(0, 0), (0, 2), (4, 2), (3, 1)])
def test_ct2_gpu_layout_keeps_threads_equal_to_inter_times_intra(tiny_model, tmp_path, threads, inter_threads):
    """On a GPU the layout is CTranslate2's batches in flight x host threads each; no GPU is needed to build it
    (the translator loads on first use)."""
    from seedmt.translate.backends.ct2 import CTranslate2Backend

    backend = CTranslate2Backend(resolve_model(str(tiny_model)), device="cuda", compute_type="int8",
                                 cache_dir=tmp_path, threads=threads, inter_threads=inter_threads)
    layout = backend.describe()["threads"]
    assert layout["threads"] == layout["inter_threads"] * layout["intra_threads"]
    assert layout["inter_threads"] == (inter_threads or 1)
    assert layout["intra_threads"] == (max(1, threads // (inter_threads or 1)) if threads else 1)
