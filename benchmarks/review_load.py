"""Review app under load, on loopback: a synthetic dataset of 100,000 segments, the first page, paging, and 20
clients saving edits at once.

    python benchmarks/review_load.py                  # 100,000 segments, 20 clients x 25 saves; JSON in results/
    python benchmarks/review_load.py --smoke          # 2,000 segments, 4 clients x 5 saves (seconds)

The dataset is built with seedmt's own schema (`build_dataset`), one target, text cycled from the seeds. The
server is `seedmt review` in its own process (uvicorn), so the figures include HTTP and the server's own
event loop. Measured: seconds until the server answers, the first page (worst-first queue, 50 rows), paging
(pages 1-20 of the queue and of one document), and for the concurrent saves each request's latency (p50, p95,
max); afterwards the store must hold exactly one action per save (none lost, none duplicated)."""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import REPO, write_report  # noqa: E402


def build_dataset(out: Path, segments: int) -> None:
    from seedmt.dataset.schema import SCHEMA_VERSION
    from seedmt.dataset.storage import TranslatedDocument, build_dataset as build, save_atomically
    from seedmt.text.segment import Segment

    lines = [line.strip() for path in sorted((REPO / "seeds").glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs, per_doc = [], 500
    for d in range(0, segments, per_doc):
        texts = [lines[(d + k) % len(lines)] for k in range(min(per_doc, segments - d))]
        text = "\n".join(texts)
        spans, cursor = [], 0
        for k, t in enumerate(texts):
            spans.append(Segment(f"doc{d // per_doc:04d}", k, k, 0, cursor, cursor + len(t), t))
            cursor += len(t) + 1
        doc = TranslatedDocument(f"doc{d // per_doc:04d}", f"doc{d // per_doc:04d}.txt", text, "0" * 64, "kor_Hang",
                                 "override", None, spans)
        doc.translations["eng_Latn"] = [f"translation {d + k} of {t[:40]}" for k, t in enumerate(texts)]
        doc.quality_flags = [["eng_Latn:length_ratio"] if (d + k) % 17 == 0 else [] for k in range(len(texts))]
        doc.similarities["eng_Latn"] = [((d + k) * 7919 % 1000) / 1000 for k in range(len(texts))]
        docs.append(doc)
    run = {"run_id": "synthetic", "started_at": "", "finished_at": "", "model": "synthetic", "model_path": "",
           "revision": None, "weights_fingerprint": "", "backend": "none", "device": "cpu", "compute_type": "",
           "targets": ["eng_Latn"], "decoding": "{}", "batching": "{}", "threads": "{}", "engine": "{}",
           "segmentation": "{}", "versions": "{}", "signature": "synthetic", "backend_details": "{}",
           "schema_version": SCHEMA_VERSION}
    save_atomically(build(docs, ["eng_Latn"], run), out)


def timed_get(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    response.raise_for_status()
    return round((time.perf_counter() - started) * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--saves", type=int, default=25, help="saves per client")
    parser.add_argument("--smoke", action="store_true", help="2,000 segments, 4 clients x 5 saves")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "review-load.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.segments, args.clients, args.saves = 2000, 4, 5
    with tempfile.TemporaryDirectory() as tmp:
        dataset = Path(tmp) / "translations"
        clock = time.perf_counter()
        build_dataset(dataset, args.segments)
        build_seconds = time.perf_counter() - clock
        clock = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "seedmt", "review", str(dataset), "--port", "0",
                                   "--reviewer", "load", "--references", str(Path(tmp) / "no-references")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "HF_HUB_OFFLINE": "1"})
        try:
            line = server.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
            if not match:
                raise SystemExit(f"the server did not start: {line}{server.stderr.read()}")
            start_seconds = time.perf_counter() - clock
            base, token = match.group(1), match.group(2)
            with httpx.Client(timeout=60) as client:
                first_page = timed_get(client, f"{base}/review?token={token}")
                csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get(f"{base}/?token={token}").text)[1]
                paging = [timed_get(client, f"{base}/review?page={p}&token={token}") for p in range(1, 21)]
                doc_paging = [timed_get(client, f"{base}/review?doc=doc0001&order=document&page={p}&token={token}")
                              for p in range(0, 10)]
            latencies: list[float] = []
            errors: list[str] = []
            conflicts: list[str] = []  # refused because another client saved the segment in between
            lock = threading.Lock()

            def client_run(number: int) -> None:
                with httpx.Client(timeout=60, cookies={"seedmt_review_token": token}) as http:
                    for k in range(args.saves):
                        segment = f"doc{number % (args.segments // 500 or 1):04d}:{(number * args.saves + k) % 500:04d}"
                        # the version this client saw (a save needs it; another client may have saved since)
                        seen = http.get(f"{base}/api/item", params={"segment_id": segment, "target": "eng_Latn"})
                        body = {"segment_id": segment, "target": "eng_Latn", "action": "edit",
                                "text": f"post-edit {number}-{k}", "version": seen.json()["version"]}
                        started = time.perf_counter()
                        answer = http.post(f"{base}/api/act", content=json.dumps(body),
                                           headers={"X-CSRF-Token": csrf, "Origin": base})
                        elapsed = (time.perf_counter() - started) * 1000
                        with lock:
                            latencies.append(elapsed)
                            if answer.status_code == 409:
                                conflicts.append(segment)
                            elif answer.status_code != 200:
                                errors.append(f"{answer.status_code} {answer.text[:200]}")

            threads = [threading.Thread(target=client_run, args=(n,)) for n in range(args.clients)]
            clock = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            concurrent_seconds = time.perf_counter() - clock
        finally:
            server.terminate()
            server.wait(timeout=30)
        from seedmt.dataset.reviews import ReviewStore, store_path

        store = ReviewStore(store_path(dataset), create=False)
        actions = store.actions()
        store.close()
    expected = args.clients * args.saves
    latencies.sort()
    report = {
        "benchmark": "seedmt review under load (loopback)", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "segments": args.segments, "build_dataset_seconds": round(build_seconds, 2),
        "server_ready_seconds": round(start_seconds, 2), "first_page_ms": first_page,
        "page_ms": {"median": statistics.median(paging), "max": max(paging)},
        "document_page_ms": {"median": statistics.median(doc_paging), "max": max(doc_paging)},
        "concurrent_saves": {"clients": args.clients, "saves": expected, "seconds": round(concurrent_seconds, 2),
                             "p50_ms": round(latencies[len(latencies) // 2], 1),
                             "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
                             "max_ms": round(latencies[-1], 1), "errors": errors[:5],
                             "conflicts": len(conflicts),
                             "actions_in_store": len(actions),
                             # every save is in the log: applied, or kept as a rejected concurrent edit
                             "lost_or_duplicated": len(actions) != expected or bool(errors)},
    }
    print(json.dumps(report, indent=2))
    write_report(args.out, report)
    return 0 if not report["concurrent_saves"]["lost_or_duplicated"] else 1


if __name__ == "__main__":
    sys.exit(main())
