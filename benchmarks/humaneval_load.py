"""Human evaluation campaigns: how long `seedmt humaneval create` takes, and how fast the annotation pages answer.

    python benchmarks/humaneval_load.py            # 3 systems x 200 items x 3 annotators, datasets of 2,000 segments
    python benchmarks/humaneval_load.py --smoke    # 2 systems x 20 items x 2 annotators (seconds)

The systems' datasets are built with seedmt's own schema, text cycled from the seeds. Creation is timed in this
process (reading every dataset, sampling, writing the campaign file). The annotation server is `seedmt humaneval
annotate` in its own process, so the page figures include HTTP: the page itself, an item (source, context,
translations, the judgement so far) for the first 50 positions of a queue, and saving a judgement."""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, write_report  # noqa: E402


def build_system(out: Path, segments: int, system: int) -> None:
    from seedmt.dataset.schema import SCHEMA_VERSION
    from seedmt.dataset.storage import TranslatedDocument, build_dataset, save_atomically
    from seedmt.text.segment import Segment

    lines = [line.strip() for path in sorted((REPO / "seeds").glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs, per_doc = [], 100
    for d in range(0, segments, per_doc):
        texts = [lines[(d + k) % len(lines)] for k in range(min(per_doc, segments - d))]
        spans, cursor = [], 0
        for k, t in enumerate(texts):
            spans.append(Segment(f"doc{d // per_doc:04d}", k, k, 0, cursor, cursor + len(t), t))
            cursor += len(t) + 1
        doc = TranslatedDocument(f"doc{d // per_doc:04d}", f"doc{d // per_doc:04d}.txt", "\n".join(texts), "0" * 64,
                                 "kor_Hang", "override", None, spans)
        doc.translations["eng_Latn"] = [f"system {system} translation {d + k} of the segment, with a few more "
                                        f"words to mark" for k in range(len(texts))]
        doc.quality_flags = [[] for _ in texts]
        doc.similarities["eng_Latn"] = [0.5 for _ in texts]
        docs.append(doc)
    run = {"run_id": f"system{system}", "started_at": "", "finished_at": "", "model": f"system{system}",
           "model_path": "", "revision": None, "weights_fingerprint": "", "backend": "none", "device": "cpu",
           "compute_type": "", "targets": ["eng_Latn"], "decoding": "{}", "batching": "{}", "threads": "{}",
           "engine": "{}", "segmentation": "{}", "versions": "{}", "signature": f"system{system}",
           "backend_details": "{}", "schema_version": SCHEMA_VERSION}
    save_atomically(build_dataset(docs, ["eng_Latn"], run), out)


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return round((time.perf_counter() - started) * 1000, 2), result


def main(argv: list[str] | None = None) -> int:
    import httpx

    from seedmt.dataset.campaigns import create_campaign

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=3)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--segments", type=int, default=2000, help="segments of each system's dataset")
    parser.add_argument("--smoke", action="store_true", help="2 systems x 20 items x 2 annotators, 300 segments")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "humaneval-load.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.systems, args.items, args.annotators, args.segments = 2, 20, 2, 300
    annotators = [f"annotator{k}" for k in range(args.annotators)]
    with tempfile.TemporaryDirectory() as tmp:
        systems = []
        for s in range(args.systems):
            folder = Path(tmp) / f"system{s}"
            build_system(folder, args.segments, s)
            systems.append((folder.name, folder))
        path = Path(tmp) / "campaign.sqlite"
        create_ms, store = timed(lambda: create_campaign(path, systems, protocol="mqm", items=args.items,
                                                         annotators=annotators))
        queue = store.queue(annotators[0])
        store.close()
        server = subprocess.Popen([sys.executable, "-m", "seedmt", "humaneval", "annotate", str(path),
                                   "--annotator", annotators[0], "--port", "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line)
            if not match:
                raise SystemExit(f"the server did not start: {line}{server.stderr.read()}")
            base = match.group(1)
            with httpx.Client(timeout=60) as http:
                page_ms, page = timed(lambda: http.get(f"{base}/?token={match.group(2)}"))
                csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]
                item_ms, save_ms = [], []
                for position in range(min(50, len(queue))):
                    elapsed, answer = timed(lambda: http.get(f"{base}/api/campaign/item",
                                                             params={"position": position}))
                    item_ms.append(elapsed)
                    item = answer.json()["item"]
                    body = {"position": position, "version": 0, "seconds": 1.0,
                            "translations": [{"spans": [{"start": 0, "end": 6, "severity": "minor",
                                                         "category": "Style"}]} for _ in item["translations"]]}
                    elapsed, saved = timed(lambda: http.post(f"{base}/api/campaign/judge", content=json.dumps(body),
                                                             headers={"X-CSRF-Token": csrf, "Origin": base}))
                    if saved.status_code != 200:
                        raise SystemExit(f"save refused: {saved.text}")
                    save_ms.append(elapsed)
        finally:
            server.terminate()
            server.wait(timeout=30)

    def summary(values: list[float]) -> dict:
        values = sorted(values)
        return {"requests": len(values), "median_ms": round(statistics.median(values), 2),
                "p95_ms": values[min(len(values) - 1, int(0.95 * len(values)))], "max_ms": values[-1]}

    report = {"benchmark": "seedmt humaneval: campaign creation and annotation pages",
              "systems": args.systems, "items": args.items, "annotators": args.annotators,
              "segments_per_dataset": args.segments, "create_seconds": round(create_ms / 1000, 3),
              "queue_of_first_annotator": len(queue), "page_ms": page_ms, "item": summary(item_ms),
              "save": summary(save_ms)}
    from common import machine

    report["machine"] = machine()
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
