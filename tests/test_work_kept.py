"""Nothing a person does is lost, mis-stored or mis-scored: undo that never takes back another reviewer's later
work, text that cannot break an export, a dataset folder publish never writes into, provenance that fingerprints
what was exported, one clear line for a server that cannot start, and a randomized multi-reviewer run checked
against what every client was told."""
from __future__ import annotations

import json
import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from seedmt.cli import main
from seedmt.dataset.reviews import ReviewStore, UndoConflict, store_fingerprint, store_path
from tests.helpers import fresh_copy, review_client

MT = "The machine translation."


def test_an_undo_never_takes_back_another_reviewers_later_work(tmp_path):
    store = ReviewStore(tmp_path / "x.review.sqlite")
    try:
        store.act("s1", "eng_Latn", "edit", machine_translation=MT, reviewer="ana", text="Ana's edit",
                  expected_version=0)
        store.act("s1", "eng_Latn", "edit", machine_translation=MT, reviewer="ben", text="Ben's edit",
                  expected_version=1)
        with pytest.raises(UndoConflict, match="changed since by ben") as refused:
            store.undo("ana", store.log_version("ana"))
        assert refused.value.current.post_edit == "Ben's edit"
        after = store.review("s1", "eng_Latn")
        assert (after.status, after.post_edit, after.version) == ("edited", "Ben's edit", 2)
        # ben's own undo is fine, and brings back ana's text; then ana's undo is allowed again
        assert store.undo("ben", store.log_version("ben")).post_edit == "Ana's edit"
        assert store.undo("ana", store.log_version("ana")).status == "unreviewed"
        # redo obeys the same rule: ben edits after ana's undo, ana's redo is refused
        store.act("s1", "eng_Latn", "accept", machine_translation=MT, reviewer="ben", expected_version=4)
        with pytest.raises(UndoConflict):
            store.redo("ana", store.log_version("ana"))
        assert store.review("s1", "eng_Latn").status == "accepted"
    finally:
        store.close()


def test_undo_over_http_answers_409_with_the_other_reviewers_text(reviewed_dataset, tmp_path):
    from seedmt.review.app import ReviewSettings, create_app
    from starlette.testclient import TestClient

    with review_client(reviewed_dataset, tmp_path) as ana:
        item = next(iter(ana.app.state.queue.by_key.values()))
        headers = {"X-CSRF-Token": ana.settings.csrf, "Origin": "http://127.0.0.1:8765"}
        body = {"segment_id": item.segment_id, "target": item.target, "action": "edit", "text": "Ana's edit",
                "version": 0}
        acted = ana.post("/api/act", content=json.dumps(body), headers=headers).json()
        # ben works on the same dataset through his own app (another process in real use)
        settings = ReviewSettings(ana.settings.dataset_dir, reviewer="ben", port=8765)
        ben_app = create_app(settings)
        try:
            with TestClient(ben_app, base_url="http://127.0.0.1:8765") as ben:
                ben.get(f"/?token={settings.token}")
                answer = ben.post("/api/act", content=json.dumps({**body, "text": "Ben's edit", "version": 1}),
                                  headers={"X-CSRF-Token": settings.csrf, "Origin": "http://127.0.0.1:8765"})
                assert answer.status_code == 200
        finally:
            ben_app.state.store.close()
        undo = ana.post("/api/undo", content=json.dumps({"version": acted["log_version"]}), headers=headers)
        assert undo.status_code == 409 and undo.json()["current"]["post_edit"] == "Ben's edit"
        assert ana.get("/api/item", params={"segment_id": item.segment_id, "target": item.target}).json()[
            "post_edit"] == "Ben's edit"


def test_control_characters_never_enter_a_post_edit_or_an_export(reviewed_dataset, tmp_path):
    from seedmt.dataset.publish import write_moses
    from seedmt.dataset.schema import SEGMENTS

    with review_client(reviewed_dataset, tmp_path) as client:
        item = next(iter(client.app.state.queue.by_key.values()))
        headers = {"X-CSRF-Token": client.settings.csrf, "Origin": "http://127.0.0.1:8765"}
        for text in ("bad\x00byte", "two\nlines", "bell\x07"):
            answer = client.post("/api/act", headers=headers, content=json.dumps(
                {"segment_id": item.segment_id, "target": item.target, "action": "edit", "text": text, "version": 0}))
            assert answer.status_code == 400 and "control characters" in answer.json()["error"]
        assert client.app.state.store.reviews() == {}
        page = client.get("/").text
        assert "built-in method" not in page
        to_review = re.findall(r'<td class="num to-review">(\d+)</td>', page)
        assert to_review and all(int(n) > 0 for n in to_review)
    # an older store or another tool may still hold such text: the Moses files stay one segment a line
    row = {"source_lang": "bel_Cyrl", "copied_targets": [], "translation": {"bel_Cyrl": "Адзін\x00радок.",
                                                                             "eng_Latn": "One\x00line\u2028here."}}
    write_moses({SEGMENTS: [row]}, tmp_path / "moses")
    for path in (tmp_path / "moses" / "bel_Cyrl-eng_Latn").iterdir():
        data = path.read_bytes()
        assert b"\x00" not in data and data.count(b"\n") == 1


def test_publish_leaves_the_dataset_folder_as_it_was(reviewed_dataset, tmp_path):
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    with ReviewStore(store_path(dataset)) as store:
        row = next(iter(json.loads(json.dumps(_first_translation(dataset)))))
        store.act(row[0], "eng_Latn", "edit", machine_translation=row[1], reviewer="ana", text="Reviewed.")
    before = {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()}
    modes = [(p, p.stat().st_mode) for p in [dataset, *dataset.rglob("*")]]
    try:
        for path, mode in modes:
            path.chmod(mode & ~0o222)  # a read-only dataset
        for options in ([], ["--reviewed-only"]):
            out = tmp_path / f"export{len(options)}"
            assert main(["publish", str(dataset), "--to", str(out), *options]) == 0
            assert (out / "segments").is_dir()
    finally:
        for path, mode in modes:
            path.chmod(mode)
    assert {p: p.read_bytes() for p in dataset.rglob("*") if p.is_file()} == before


def _first_translation(dataset: Path):
    from seedmt.dataset.storage import open_dataset

    segments = open_dataset(dataset).tables["segments"]
    return [(segments[0]["segment_id"], segments[0]["translation"]["eng_Latn"])]


def test_the_exported_store_is_fingerprinted_by_its_content_write_ahead_log_included(tmp_path):
    path = tmp_path / "d.review.sqlite"
    store = ReviewStore(path)
    store.act("s1", "eng_Latn", "edit", machine_translation=MT, reviewer="ana", text="One.")
    first = store_fingerprint(path)  # the action sits in the WAL: the file alone does not have it yet
    store.act("s1", "eng_Latn", "accept", machine_translation=MT, reviewer="ana", expected_version=1)
    second = store_fingerprint(path)
    store.close()  # folds the WAL into the file
    assert first != second and store_fingerprint(path) == second


def test_review_export_reads_the_dataset_once_for_every_reference(reviewed_dataset, tmp_path, monkeypatch):
    from seedmt.eval import post_edits

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    from seedmt.dataset.storage import open_dataset

    segments = open_dataset(dataset).tables["segments"]
    with ReviewStore(store_path(dataset)) as store:
        for doc in {r["doc_id"] for r in segments}:
            row = next(r for r in segments if r["doc_id"] == doc)
            store.act(row["segment_id"], "eng_Latn", "accept", machine_translation=row["translation"]["eng_Latn"],
                      reviewer="ana")
    calls = []
    real = post_edits.folder_input
    monkeypatch.setattr(post_edits, "folder_input", lambda *a: calls.append(a) or real(*a))
    assert main(["review", "export", str(dataset), "--references", str(tmp_path / "refs")]) == 0
    written = list((tmp_path / "refs" / "eng_Latn").glob("*.provenance.json"))
    assert len(written) == 2 and len(calls) == 1
    fingerprints = {json.loads(p.read_text())["inputs"][1]["sha256"] for p in written}
    assert fingerprints == {store_fingerprint(store_path(dataset))}


def _busy_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder, holder.getsockname()[1]


@pytest.mark.slow
def test_a_server_that_cannot_start_says_so_in_one_line(reviewed_dataset, tmp_path):
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    holder, port = _busy_port()
    try:
        run = subprocess.run([sys.executable, "-m", "seedmt", "review", str(dataset), "--port", str(port)],
                             capture_output=True, text=True, timeout=120)
    finally:
        holder.close()
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and f":{port}" in run.stderr
    for url in ("http://x.example:99999/", "http://[zz]:80/", "ftp://x.example/"):
        run = subprocess.run([sys.executable, "-m", "seedmt", "review", str(dataset), "--host", "0.0.0.0",
                              "--allow-remote", "--public-url", url], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and "Traceback" not in run.stderr and "--public-url" in run.stderr, run.stderr


def test_a_malformed_mqm_file_is_an_input_error(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\nsysA\tdoc1\n",
                   encoding="utf-8")
    assert main(["humaneval", "report", "--mqm-tsv", str(bad)]) == 1
    assert "bad.tsv: line 2" in capsys.readouterr().err


def test_a_document_too_long_to_resegment_is_refused_before_allocating():
    from seedmt.eval.resegment import ResegmentTooLarge, resegment

    words = " ".join(f"w{k}" for k in range(30_000))
    with pytest.raises(ResegmentTooLarge, match="too long to re-segment"):
        resegment(words, [words[:len(words) // 2], words[len(words) // 2:]], "eng_Latn")


def test_upload_errors_name_the_file_as_the_person_named_it(reviewed_dataset, tmp_path):
    from tests.test_review_security import HashingEmbedder

    with review_client(reviewed_dataset, tmp_path, embedder=HashingEmbedder()) as client:
        answer = client.post("/api/align", headers={"X-CSRF-Token": client.settings.csrf,
                                                    "Origin": "http://127.0.0.1:8765"},
                             content=json.dumps({"source_text": "12 34 56", "target_text": "Some text.",
                                                 "source_name": "numbers.txt", "target_name": "b.txt"}))
    error = answer.json()["error"]
    assert answer.status_code == 400 and error.startswith("numbers.txt: "), error
    assert "/tmp" not in error and "seedmt-align" not in error and "--source-lang" not in error


def test_positions_and_pages_take_ascii_digits_only(reviewed_dataset, tmp_path):
    with review_client(reviewed_dataset, tmp_path) as client:
        for page in ("²", "٣", "9" * 5000, "-1", "1e9"):
            assert client.get("/review", params={"page": page}).status_code == 200
        assert "page 1 of" in client.get("/review", params={"page": "٣"}).text


# --- the goal: a randomized multi-reviewer run checked against what each client was told ----------------------------

@pytest.mark.slow
def test_randomized_reviewers_and_tabs_lose_nothing_they_were_told_was_saved(reviewed_dataset, tmp_path):
    """Three reviewers (one app each, as three `seedmt review` processes would be), two tabs each, 1,000 random
    edits, accepts, rejects, resets, undos and redos on a few segments. Every answer is recorded; afterwards:
    each segment holds exactly what the last acknowledged write on it left, versions went up by one per
    acknowledged write and never otherwise, a refused request changed nothing, and every acknowledged undo or
    redo took back the same reviewer's write, with only writes since that were themselves taken back."""
    from starlette.testclient import TestClient

    from seedmt.review.app import ReviewSettings, create_app

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    rng = random.Random(37)
    apps, tabs = [], []
    for reviewer in ("ana", "ben", "cy"):
        settings = ReviewSettings(dataset, reviewer=reviewer, port=8765)
        app = create_app(settings)
        apps.append(app)
        for tab in range(2):
            client = TestClient(app, base_url="http://127.0.0.1:8765")
            client.__enter__()
            client.get(f"/?token={settings.token}")
            client.reviewer, client.headers_ = reviewer, {"X-CSRF-Token": settings.csrf,
                                                          "Origin": "http://127.0.0.1:8765"}
            client.seen, client.log_version = {}, 0  # versions this tab was shown, its last log version
            tabs.append(client)
    items = list(apps[0].state.queue.by_key.values())[:4]
    history: dict[tuple, list[dict]] = {(i.segment_id, i.target): [] for i in items}
    effect: dict[tuple, list[dict]] = {key: [] for key in history}
    undone: dict[str, list[dict]] = {"ana": [], "ben": [], "cy": []}
    try:
        for step in range(1000):
            tab = rng.choice(tabs)
            item = rng.choice(items)
            key = (item.segment_id, item.target)
            kind = rng.choice(["edit", "edit", "accept", "reject", "reset", "undo", "redo", "look"])
            if kind == "look":  # the tab reloads the row
                state = tab.get("/api/item", params={"segment_id": key[0], "target": key[1]}).json()
                tab.seen[key] = state["version"]
                continue
            if kind in ("undo", "redo"):
                answer = tab.post(f"/api/{kind}", content=json.dumps({"version": tab.log_version}),
                                  headers=tab.headers_)
                data = answer.json()
                tab.log_version = data.get("log_version", tab.log_version)
                if answer.status_code == 200 and data["review"] is not None:
                    review = data["review"]
                    done = (review["segment_id"], review["target"])
                    # the model: the writes still in effect on the segment, newest last; an undo takes back the
                    # newest, which must be this reviewer's; a redo puts back what this reviewer's undo took
                    live = effect[done]
                    if kind == "undo":
                        assert live and live[-1]["reviewer"] == tab.reviewer, (step, kind, live[-1:])
                        undone[tab.reviewer].append(live.pop())
                        assert (review["status"], review["post_edit"]) == (
                            (live[-1]["status"], live[-1]["post_edit"]) if live else ("unreviewed", None)), step
                    else:
                        redone = undone[tab.reviewer].pop()
                        assert (redone["segment_id"], redone["target"]) == done, step
                        assert (review["status"], review["post_edit"]) == (redone["status"], redone["post_edit"])
                        live.append({**review, "reviewer": tab.reviewer})
                    history[done].append({**review, "step": step, "op": kind})
                else:
                    assert answer.status_code in (200, 409), answer.text
                continue
            body = {"segment_id": key[0], "target": key[1], "action": kind, "version": tab.seen.get(key, 0),
                    "text": f"{tab.reviewer} step {step}" if kind == "edit" else None,
                    "reason": f"why {step}" if kind == "reject" else None}
            answer = tab.post("/api/act", content=json.dumps(body), headers=tab.headers_)
            data = answer.json()
            tab.log_version = data.get("log_version", tab.log_version)
            if answer.status_code == 200:
                history[key].append({**data, "step": step, "op": kind})
                effect[key].append({**data, "reviewer": tab.reviewer})
                undone[tab.reviewer].clear()  # a new action ends what this reviewer could redo
                tab.seen[key] = data["version"]
            else:
                assert answer.status_code == 409, answer.text
                tab.seen[key] = data["conflict"]["current"]["version"]  # the page shows what is saved now
        acknowledged = sum(len(h) for h in history.values())
        assert acknowledged > 250  # the rest: refused (409) as stale, which the model checks too
        store = apps[0].state.store
        for key, writes in history.items():
            for before, after in zip(writes, writes[1:]):
                assert after["version"] == before["version"] + 1, (key, before, after)
            final = store.review(*key)
            if writes:
                last = writes[-1]
                assert (final.status, final.post_edit, final.reason, final.version) == \
                    (last["status"], last["post_edit"], last["reason"], last["version"]), key
                assert writes[0]["version"] == 1
            # the log agrees: as many state changes as acknowledged writes
            logged = [a for a in store.actions(key[0]) if a["target"] == key[1] and a["action"] != "rejected-concurrent"]
            assert len(logged) == len(writes), key
    finally:
        for tab in tabs:
            tab.__exit__(None, None, None)
        for app in apps:
            app.state.store.close()


# --- scores that must not depend on where they are computed ------------------------------------------------------

def test_compare_of_datasets_with_different_targets_compares_what_they_share(translated_dir, tiny_model, tmp_path):
    from seedmt.eval.compare import compare
    from tests.helpers import REPO_ROOT, SEEDS_DIR, TEST_DECODING_ARGS

    english_only = tmp_path / "english-only"
    assert main(["translate", str(SEEDS_DIR), "--model", str(tiny_model), "--out", str(english_only),
                 "--targets", "eng_Latn", "--max-input-tokens", "1024", *TEST_DECODING_ARGS]) == 0
    report = compare([translated_dir, english_only], REPO_ROOT / "references", samples=50)
    assert {block["target"] for block in report["directions"]} == {"eng_Latn"}
    assert any("not compared" in note and "zho_Hans" in note for note in report["notes"])


def test_a_score_that_could_not_be_computed_is_shown_as_a_dash():
    from seedmt.eval.report import comparison_markdown, evaluation_markdown

    system = {"dataset": "out", "model": "m", "backend": "ct2", "compute_type": "int8"}
    block = {"source_lang": "bel_Cyrl", "target": "eng_Latn", "segments": 3,
             "scores": {"COMET": {"score": None, "signature": "comet"}, "BLEU": {"score": 12.5, "signature": "b"}}}
    text = evaluation_markdown({"system": system, "references": "refs", "notes": [], "directions": [block],
                                "targets": []})
    assert "| bel_Cyrl → eng_Latn | 3 | - | 12.50 |" in text
    rows = [{"system": "a", "baseline": True, "score": None, "delta": 0.0, "mean": None, "ci95": None,
             "p_value": None, "note": None},
            {"system": "b", "baseline": False, "score": None, "delta": None, "mean": None, "ci95": None,
             "p_value": None, "note": None}]
    comparison = {"baseline": "a", "test": "bootstrap", "samples": 10, "notes": [],
                  "systems": [{"name": n, **system} for n in "ab"],
                  "directions": [{"source_lang": "bel_Cyrl", "target": "eng_Latn", "segments": 3,
                                  "metrics": {"COMET": {"signature": "c", "systems": rows}}}]}
    text = comparison_markdown(comparison)
    assert "| COMET | a | - | +0.00 | - | baseline |" in text and "| COMET | b | - | - | - | - |" in text


@pytest.mark.slow
def test_a_stop_is_not_held_up_by_a_client_that_never_finishes_its_request(reviewed_dataset, tmp_path):
    import signal
    import time

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "seedmt", "review", str(dataset), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        port = int(re.search(r":(\d+)/\?token=", line).group(1))
        token = line.split("token=")[1].strip()
        import urllib.request

        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=30).read().decode()
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(f"POST /api/act?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                       f"X-CSRF-Token: {csrf}\r\nOrigin: http://127.0.0.1:{port}\r\n"
                       "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"segm".encode())
        time.sleep(0.5)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - started < 15
        client.close()
    finally:
        if process.poll() is None:
            process.kill()
