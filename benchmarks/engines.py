"""Engine comparison: the whole seed job (every segment into eng_Latn and zho_Hans, beam 4, CT2 int8, the
NLLB-200-distilled-600M architecture with random weights) on the local engine and on Ray Data.

    python benchmarks/engines.py                   # local (2 threads), Ray with 1 and 2 workers (1 thread each)
    python benchmarks/engines.py --configs ray-2 --device cuda --gpus-per-worker 1   # on a GPU machine

Each configuration runs in its own driver process with a fresh local Ray runtime, so Ray's fixed start-up
cost is part of its wall time: `ray_init_seconds` is `ray.init` alone; starting the actors and loading the
model in each happens inside the job. Peak memory is the largest sum of RSS over the driver and every process it started (Ray's
GCS, raylet and workers), sampled every 0.2 s; shared pages are counted once per process, so the figure is
an upper bound. Random weights never stop: every batch decodes ceil(1.1 x its longest source) tokens.
JSON goes to benchmarks/results/."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import (OUTPUT_LENGTH_RATIO, REPO, ForcedLengthLocal, ForcedLengthRay, build_model,  # noqa: E402
                    machine, write_report)

CONFIGS = {"local": None, "ray-1": 1, "ray-2": 2}


def _children(pid: int, parents: dict[int, int]) -> set[int]:
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def tree_rss_mib(pid: int) -> float:
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return sum(rss.get(p, 0) for p in _children(pid, parents)) / 2**20


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._finished = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._finished.is_set():
            self.peak = max(self.peak, tree_rss_mib(self.pid))
            time.sleep(0.2)

    def stop(self) -> float:
        self._finished.set()
        self.join()
        return round(self.peak, 1)


def run_one(spec: dict) -> dict:
    from seedmt.translate.pipeline import TranslationJob, run_translation
    from seedmt.translate.settings import DecodingSettings

    sampler = PeakSampler(os.getpid())
    sampler.start()
    workers = spec["workers"]
    startup = None
    clock = time.perf_counter()
    if workers:
        import ray

        import common

        # Ray workers unpickle the forced-length backend spec; they need its module's code, not its path.
        ray.cloudpickle.register_pickle_by_value(common)
        ray.init(num_cpus=spec["cpus"], num_gpus=spec["gpus"] or None, include_dashboard=False,
                 log_to_driver=False)
        startup = time.perf_counter() - clock
    with tempfile.TemporaryDirectory() as tmp:
        job = TranslationJob(
            seeds_dir=Path(spec["seeds"]), out_dir=Path(tmp) / "out", model=spec["model"], backend="ct2",
            device=spec["device"], compute_type=spec["compute_type"],
            decoding=DecodingSettings(beam_size=4),
            backend_options={"threads": 0 if workers else spec["threads"], "cache_dir": Path(spec["ct2_cache"])},
            engine=ForcedLengthRay(workers=workers, cpus_per_worker=spec["cpus_per_worker"],
                                   gpus_per_worker=spec["gpus_per_worker"]) if workers else ForcedLengthLocal(),
            use_cache=False, show_progress=False, similarity=False)
        report = run_translation(job)
        seconds = time.perf_counter() - clock
        if report.problems:
            raise SystemExit(f"problems: {report.problems}")
        run = report.run
    return {"seconds": round(seconds, 2), "translated_inputs": report.translated_inputs,
            "sentences_per_second": round(report.translated_inputs / seconds, 3),
            "ray_init_seconds": None if startup is None else round(startup, 2),
            "peak_rss_all_processes_mib": sampler.stop(), "threads": json.loads(run["threads"]),
            "engine": json.loads(run["engine"])}


def driver_memory(seeds: Path, copies: int) -> dict:
    """What one driver holds per segment: the planned documents (text, segments, translations) of `copies`
    copies of the seeds, measured with tracemalloc, and the segment cache's write rate."""
    import copy
    import tracemalloc

    from seedmt.dataset.cache import SegmentCache
    from seedmt.translate.pipeline import TranslationJob, prepare_documents

    docs, _ = prepare_documents(TranslationJob(seeds_dir=seeds, out_dir=Path("unused")))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    planned = []
    for n in range(copies):
        for doc in docs:
            clone = copy.deepcopy(doc)
            clone.doc_id = f"{doc.doc_id}-{n}"
            for target in ("eng_Latn", "zho_Hans"):
                # A translation about as long as its source stands in for the model's output.
                clone.translations[target] = [s.text + " " for s in clone.segments]
            planned.append(clone)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    segments = sum(len(d.segments) for d in planned)
    with tempfile.TemporaryDirectory() as tmp:
        cache = SegmentCache(Path(tmp) / "cache.sqlite")
        pairs = [(s.text + f" {i}", s.text) for i, s in enumerate(s for d in planned for s in d.segments)]
        clock = time.perf_counter()
        for start in range(0, len(pairs), 16):  # one transaction per batch of 16, as the engines write
            cache.store("system", "kat_Geor", "eng_Latn", pairs[start:start + 16])
        seconds = time.perf_counter() - clock
        cache.close()
    return {"segments": segments, "bytes_per_segment_two_targets": round(held / segments),
            "cache_rows_per_second": round(len(pairs) / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compute-type", default="int8", help="int8 on CPU; int8_float16 on GPUs")
    parser.add_argument("--gpus-per-worker", type=float, default=0.0)
    parser.add_argument("--seeds", type=Path, default=REPO / "seeds")
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--driver-memory-copies", type=int, default=50,
                        help="copies of the seeds for the driver-memory measurement (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: the tiny test architecture, the local engine and one Ray worker "
                             "(checks that the script still runs)")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.smoke:
        args.configs, args.driver_memory_copies = ["local", "ray-1"], 2
    if args.run_one:
        print("RESULT " + json.dumps(run_one(json.loads(args.run_one))), flush=True)
        return 0

    from seedmt.translate.backends.ct2 import cached_conversion
    from seedmt.translate.model_source import resolve_model
    from seedmt.core.threads import available_cpus

    model_dir, ct2_cache = build_model(args.work_dir, args.seeds, smoke=args.smoke), args.work_dir / "ct2"
    cached_conversion(resolve_model(str(model_dir)), args.compute_type, ct2_cache)
    cpus = available_cpus()
    results = []
    for name in args.configs:
        workers = CONFIGS[name]
        spec = {"seeds": str(args.seeds), "model": str(model_dir), "ct2_cache": str(ct2_cache),
                "device": args.device, "compute_type": args.compute_type, "workers": workers, "cpus": cpus,
                "gpus": int(args.gpus_per_worker * (workers or 0)) or 0, "threads": cpus,
                "cpus_per_worker": 1.0, "gpus_per_worker": args.gpus_per_worker}
        proc = subprocess.run([sys.executable, __file__, "--run-one", json.dumps(spec)], capture_output=True,
                              text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"[{name}] failed:\n{proc.stderr[-3000:]}")
        record = {"config": name, **json.loads(lines[-1][len("RESULT "):])}
        print(json.dumps(record), flush=True)
        results.append(record)
    memory = driver_memory(args.seeds, args.driver_memory_copies)
    print(json.dumps({"driver_memory": memory}), flush=True)
    report = {"benchmark": "seedmt engines: whole seed job, NLLB-200-distilled-600M architecture, random weights",
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "output_length": f"forced: ceil({OUTPUT_LENGTH_RATIO} x longest source in batch) tokens",
              "machine": {**machine(), "available_cpus": cpus}, "results": results, "driver_memory": memory}
    write_report(args.out or REPO / "benchmarks" / "results" / f"engines-{time.strftime('%Y%m%d-%H%M%S')}.json",
                 report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
