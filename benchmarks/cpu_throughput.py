"""CPU throughput benchmark: thread layouts, batch sizes, concurrent runs and the whole seed job, on the real
NLLB-200-distilled-600M architecture with random weights (built by benchmarks/speed.py's recipe).

    python benchmarks/cpu_throughput.py                        # everything, ~60 min on 2 cores
    python benchmarks/cpu_throughput.py --parts grid concurrent --sample 24

Parts:
- grid: CTranslate2 int8, beam 4, `--sample` segments evenly spaced over all seeds into eng_Latn in shared
  cross-language batches; every thread layout (intra 1/2 x inter 1/2) with several batch sizes.
- concurrent: the sample translated by one process alone, then by two identical processes started together,
  for both backends with the default (automatic) threads; transformers also with a fixed 2 threads each,
  the layout that collapses without sharing (capped by --timeout).
- job: the whole seed job through `run_translation` (every segment into eng_Latn and zho_Hans, beam 4, CT2
  int8, no vocabulary trimming, no cache, similarity scoring included) with the previous defaults (2 intra-op
  threads, batches of up to 64 segments of one language), the current defaults, and the current defaults
  with one setting changed at a time (`JOB_VARIANTS`).

Random weights never emit </s>: every batch decodes exactly ceil(1.1 x its longest source) tokens
(benchmarks/common.py), what a batch of real translations of that length costs. Every
measurement runs in its own process; peak RSS is that process's high-water mark (VmHWM). JSON goes to
benchmarks/results/."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (FORCED_LENGTH_BACKENDS, OUTPUT_LENGTH_RATIO, REPO, ForcedLengthLocal, build_model,  # noqa: E402
                    evenly_spaced, machine, peak_rss_mib, seed_segments, write_report)
PREVIOUS_DEFAULTS = {"threads": 2, "inter_threads": 1, "max_batch_size": 64, "mix_languages": False}
CURRENT_DEFAULTS = {"threads": 0, "inter_threads": 0, "max_batch_size": 0, "mix_languages": True}
# The whole job with one setting at a time moved away from the current defaults.
JOB_VARIANTS = {
    "previous": PREVIOUS_DEFAULTS,
    "current": CURRENT_DEFAULTS,
    "current, one language per batch": {**CURRENT_DEFAULTS, "mix_languages": False},
    "current, batches of 16": {**CURRENT_DEFAULTS, "max_batch_size": 16},
    "current, 1 batch x 2 threads": {**CURRENT_DEFAULTS, "threads": 2, "inter_threads": 1},
}
GRID = [  # (inter_threads, intra_threads, max_batch_size)
    (1, 1, 8), (1, 2, 8), (1, 2, 16), (1, 2, 64), (2, 1, 4), (2, 1, 8), (2, 1, 16), (2, 1, 32),
]


def sample_segments(seeds: Path, count: int) -> list[tuple[str, str]]:
    return [(lang, text) for _, lang, text in evenly_spaced(seed_segments(seeds), count)]


def run_sample(spec: dict) -> dict:
    """Translate the sample with one backend and layout; the backend's own batching and parallelism."""
    from seedmt.translate.model_source import resolve_model
    from seedmt.translate.settings import BatchingSettings, DecodingSettings
    from seedmt.core.threads import process_registry

    segments = sample_segments(Path(spec["seeds"]), spec["sample"])
    model = resolve_model(spec["model"])
    options = {"threads": spec["threads"], "inter_threads": spec["inter_threads"]}
    if spec["backend"] == "ct2":
        options["cache_dir"] = Path(spec["ct2_cache"])
    # Registered from before the model loads, as `run_translation` does.
    with process_registry().translating():
        clock = time.perf_counter()
        backend = FORCED_LENGTH_BACKENDS[spec["backend"]](
            model, device="cpu", compute_type=spec["compute_type"],
            batching=BatchingSettings(max_batch_size=spec["max_batch_size"]), **options)
        load_seconds = time.perf_counter() - clock
        settings = DecodingSettings(beam_size=spec["beam_size"])
        clock = time.perf_counter()
        outputs = backend.translate_segments([t for _, t in segments], [lang for lang, _ in segments],
                                             "eng_Latn", settings)
        seconds = time.perf_counter() - clock
    assert len(outputs) == len(segments)
    return {"segments": len(segments), "seconds": round(seconds, 2), "load_seconds": round(load_seconds, 2),
            "sentences_per_second": round(len(segments) / seconds, 3), "peak_rss_mib": peak_rss_mib(),
            "layout": backend.describe()["threads"], "batching": backend.describe()["batching"]}


def run_job(spec: dict) -> dict:
    """The whole seed job through the Python API that `seedmt translate` calls."""
    from seedmt.translate.pipeline import TranslationJob, run_translation
    from seedmt.translate.settings import BatchingSettings, DecodingSettings

    with tempfile.TemporaryDirectory() as tmp:
        job = TranslationJob(
            seeds_dir=Path(spec["seeds"]), out_dir=Path(tmp) / "out", model=spec["model"], backend="ct2",
            device="cpu", compute_type="int8",
            decoding=DecodingSettings(beam_size=spec["beam_size"]), engine=ForcedLengthLocal(),
            batching=BatchingSettings(max_batch_size=spec["max_batch_size"]), mix_languages=spec["mix_languages"],
            backend_options={"threads": spec["threads"], "inter_threads": spec["inter_threads"],
                             "cache_dir": Path(spec["ct2_cache"])},
            use_cache=False, show_progress=False)
        clock = time.perf_counter()
        report = run_translation(job)
        seconds = time.perf_counter() - clock
        if report.rejected:
            raise SystemExit(f"rejected seeds: {report.rejected}")
        run = report.run
    return {"segments": report.num_segments, "translated_inputs": report.translated_inputs,
            "seconds": round(seconds, 2),
            "sentences_per_second": round(report.translated_inputs / seconds, 3), "peak_rss_mib": peak_rss_mib(),
            "layout": json.loads(run["threads"]), "batching": json.loads(run["batching"])}


def child(spec: dict) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, __file__, "--run-one", json.dumps(spec)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def collect(proc: subprocess.Popen, timeout: float | None) -> dict:
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"timed_out_after_seconds": timeout}
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"measurement failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def measure(spec: dict, timeout: float | None = None) -> dict:
    record = {**spec, **collect(child(spec), timeout)}
    print(json.dumps({k: v for k, v in record.items() if k not in ("seeds", "model", "ct2_cache")}), flush=True)
    return record


def measure_pair(spec: dict, timeout: float | None) -> dict:
    """Two identical processes started together; each one's own seconds and peak RSS."""
    procs = [child(spec), child(spec)]
    results = [collect(proc, timeout) for proc in procs]
    record = {**spec, "concurrent_runs": results}
    print(json.dumps({k: v for k, v in record.items() if k not in ("seeds", "model", "ct2_cache")}), flush=True)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", default=["grid", "concurrent", "job"],
                        choices=["grid", "concurrent", "job"])
    parser.add_argument("--sample", type=int, default=24, help="segments in the grid (default: %(default)s)")
    parser.add_argument("--concurrent-sample", type=int, default=12,
                        help="segments per process in the concurrency test (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds before a measurement is given up")
    parser.add_argument("--jobs", nargs="+", default=list(JOB_VARIANTS), choices=list(JOB_VARIANTS),
                        help="whole-job settings to measure (default: all)")
    parser.add_argument("--beam-size", type=int, default=4)
    parser.add_argument("--seeds", type=Path, default=REPO / "seeds")
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work",
                        help="random-weight model and its CTranslate2 conversions (reused; see speed.py)")
    parser.add_argument("--out", type=Path, help="JSON file (default: benchmarks/results/cpu-throughput-<time>.json)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: the tiny test architecture, one grid layout on 4 segments and "
                             "the current job defaults (checks that the script still runs)")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    grid = GRID
    if args.smoke:
        args.parts, args.sample, args.jobs, grid = ["grid", "job"], 4, ["current"], GRID[:1]

    if args.run_one:
        spec = json.loads(args.run_one)
        record = run_job(spec) if spec["kind"] == "job" else run_sample(spec)
        print("RESULT " + json.dumps(record), flush=True)
        return 0

    from seedmt.translate.backends.ct2 import cached_conversion
    from seedmt.translate.model_source import resolve_model

    model_dir, ct2_cache = build_model(args.work_dir, args.seeds, smoke=args.smoke), args.work_dir / "ct2"
    cached_conversion(resolve_model(str(model_dir)), "int8", ct2_cache)  # not part of any measurement
    base = {"seeds": str(args.seeds), "model": str(model_dir), "ct2_cache": str(ct2_cache),
            "beam_size": args.beam_size}
    report: dict = {"benchmark": "seedmt CPU throughput, NLLB-200-distilled-600M architecture, random weights",
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "output_length": f"forced: ceil({OUTPUT_LENGTH_RATIO} x longest source in batch) tokens",
                    "machine": {**machine(), "available_cpus": _available_cpus()}}
    if "grid" in args.parts:
        report["grid"] = [measure({**base, "kind": "sample", "backend": "ct2", "compute_type": "int8",
                                   "sample": args.sample, "threads": inter * intra, "inter_threads": inter,
                                   "max_batch_size": size}, args.timeout) for inter, intra, size in grid]
    if "concurrent" in args.parts:
        rows = []
        for backend, compute_type, threads in [("ct2", "int8", 0), ("transformers", "float32", 0),
                                               ("transformers", "float32", 2)]:
            spec = {**base, "kind": "sample", "backend": backend, "compute_type": compute_type,
                    "sample": args.concurrent_sample, "threads": threads, "inter_threads": 0, "max_batch_size": 0}
            alone = measure(spec, args.timeout)
            # A collapsing pair would run for an order of magnitude longer: stop it at 3x the time alone.
            pair = measure_pair(spec, min(args.timeout, 3 * alone["seconds"] + 60))
            rows.append({"backend": backend, "threads": threads or "auto", "alone": alone,
                         "two_at_once": pair["concurrent_runs"]})
        report["concurrent"] = rows
    if "job" in args.parts:
        report["job"] = [{"defaults": name, **measure({**base, "kind": "job", **JOB_VARIANTS[name]}, args.timeout)}
                         for name in args.jobs]
    write_report(args.out or REPO / "benchmarks" / "results" / f"cpu-throughput-{time.strftime('%Y%m%d-%H%M%S')}.json",
                 report)
    return 0


def _available_cpus() -> int:
    from seedmt.core.threads import available_cpus

    return available_cpus()


if __name__ == "__main__":
    raise SystemExit(main())
