"""The review store, the review app's HTTP surface (security, conflicts, durability) and the review loop's
outputs: references, dataset columns, publishing and HTER."""
from __future__ import annotations

import json
import re
import signal

import pytest
from datasets import load_from_disk

from seedmt.cli import EXIT_FATAL, EXIT_OK, EXIT_USAGE, main
from seedmt.dataset.reviews import ReviewConflict, ReviewStore, hter, store_path
from tests.helpers import fresh_copy, start_server



# --- the store --------------------------------------------------------------------------------------------

def test_actions_undo_redo_and_reopening(tmp_path):
    path = tmp_path / "d.review.sqlite"
    store = ReviewStore(path)
    store.act("d:0000", "eng_Latn", "edit", machine_translation="the cat", reviewer="ana", text="the cat sat")
    store.act("d:0001", "eng_Latn", "reject", machine_translation="xx", reviewer="ana", reason="gibberish")
    store.act("d:0002", "eng_Latn", "accept", machine_translation="fine", reviewer="ana")
    assert store.undo("ana").status == "unreviewed"  # the accept
    assert store.undo("ana").status == "unreviewed"  # the reject
    store.close()

    store = ReviewStore(path)  # reopened: state and undo history are there
    assert store.review("d:0000", "eng_Latn").post_edit == "the cat sat"
    assert store.redo("ana").status == "rejected"
    assert store.redo("ana").status == "accepted"
    assert store.redo("ana") is None
    assert store.undo("ana").status == "unreviewed"
    store.act("d:0000", "eng_Latn", "accept", machine_translation="the cat", reviewer="ana")
    assert store.redo("ana") is None  # a new action ends what could be redone
    log = store.actions("d:0001")
    assert [a["action"] for a in log] == ["reject", "undo", "redo"]
    assert log[0]["reviewer"] == "ana" and log[0]["text_before"] is None and log[0]["reason_after"] == "gibberish"


def test_a_stale_version_is_a_conflict_and_nothing_is_overwritten(tmp_path):
    store = ReviewStore(tmp_path / "d.review.sqlite")
    first = store.act("d:0000", "eng_Latn", "edit", machine_translation="mt", reviewer="ana", text="one",
                      expected_version=0)
    with pytest.raises(ReviewConflict) as conflict:
        store.act("d:0000", "eng_Latn", "edit", machine_translation="mt", reviewer="ben", text="two",
                  expected_version=0)
    assert conflict.value.current.post_edit == "one" and conflict.value.attempted["text"] == "two"
    assert store.review("d:0000", "eng_Latn") == first


def test_hter_is_sacrebleu_ter_of_the_machine_translation_against_the_post_edit():
    from sacrebleu.metrics import TER

    assert hter("the cat sat", "the cat sat", "eng_Latn") == 0.0
    expected = TER().sentence_score("a cat sat on mat", ["the cat sat on the mat"]).score
    assert hter("a cat sat on mat", "the cat sat on the mat", "eng_Latn") == round(expected, 2)
    chinese = TER(asian_support=True).sentence_score("猫坐着", ["猫坐在垫子上"]).score
    assert hter("猫坐着", "猫坐在垫子上", "zho_Hans") == round(chinese, 2)


# --- the app over HTTP --------------------------------------------------------------------------------------

@pytest.fixture
def client(reviewed_dataset, tmp_path):
    from starlette.testclient import TestClient

    from seedmt.review.app import ReviewSettings, create_app

    settings = ReviewSettings(fresh_copy(reviewed_dataset, tmp_path), reviewer="ana", port=8765)
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
        test_client.settings = settings
        yield test_client
    app.state.store.close()


def post(client, path, body, **headers):
    headers = {"X-CSRF-Token": client.settings.csrf, "Origin": "http://127.0.0.1:8765", **headers}
    return client.post(path, content=json.dumps(body), headers=headers)


def test_every_request_needs_the_token_and_the_host_of_this_server(client):
    token = client.settings.token
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get(f"/?token={token}", headers={"Host": "evil.example:8765"}).status_code == 403
    first = client.get(f"/?token={token}")
    assert first.status_code == 200 and "seedmt_review_token" in first.headers["set-cookie"]
    assert client.get("/review").status_code == 200  # the cookie now stands for the token
    assert "script-src 'self'" in first.headers["content-security-policy"]
    assert "'unsafe-inline'" not in first.headers["content-security-policy"]


def test_state_changes_need_the_csrf_token_and_this_origin(client, reviewed_dataset):
    client.get(f"/?token={client.settings.token}")
    body = {"segment_id": "be:0000", "target": "eng_Latn", "action": "accept", "version": 0}
    assert post(client, "/api/act", body, **{"X-CSRF-Token": "nope"}).status_code == 403
    assert post(client, "/api/act", body, Origin="http://evil.example").status_code == 403
    assert client.post("/api/act", content=json.dumps(body)).status_code == 403
    accepted = post(client, "/api/act", body)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_texts_are_shown_as_text_and_ids_are_looked_up(client):
    client.get(f"/?token={client.settings.token}")
    page = client.get("/review?doc=markup&order=document").text
    # QA underlines (<mark>) may cut the text where a check found something (the numbers in "alert(1)")
    text = re.sub(r"</?mark[^>]*>", "", page)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;/script&gt;&lt;script&gt;" in text
    assert "<img src=x" not in page and "<script>alert" not in page
    assert not re.search(r"<script>(?!</script>)", page)  # no inline script at all
    missing = client.get("/review?doc=../../etc/passwd")
    assert missing.status_code == 404 and "no such document" in missing.text
    assert post(client, "/api/act", {"segment_id": "../x", "target": "eng_Latn", "action": "accept", "version": 0}).status_code == 404


def test_two_tabs_saving_the_same_segment_get_a_conflict_with_both_versions(client):
    client.get(f"/?token={client.settings.token}")
    base = {"segment_id": "be:0001", "target": "eng_Latn", "action": "edit", "version": 0}
    assert post(client, "/api/act", {**base, "text": "first tab"}).status_code == 200
    second = post(client, "/api/act", {**base, "text": "second tab"})
    assert second.status_code == 409
    conflict = second.json()["conflict"]
    assert conflict["current"]["post_edit"] == "first tab" and conflict["attempted"]["text"] == "second tab"
    state = client.get("/api/item?segment_id=be:0001&target=eng_Latn").json()
    assert state["post_edit"] == "first tab" and state["version"] == 1


def test_worst_first_queue_and_filters(client):
    from seedmt.review.queue import Item

    client.get(f"/?token={client.settings.token}")
    queue = client.app.state.queue
    keys = [Item.worst_first_key(item) for item in queue.worst_first]
    assert keys == sorted(keys)
    flagged = [item for item in queue.worst_first if item.flags]
    assert queue.worst_first[:len(flagged)] == flagged
    page = client.get("/review?status=unreviewed&flag=any").text
    assert page.count('class="item ') == min(50, len(flagged))


# --- a real server, killed ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_an_acknowledged_save_survives_kill_9(reviewed_dataset, tmp_path):
    import httpx

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    process, url = start_server(dataset)
    base = url.split("/?")[0]
    try:
        with httpx.Client() as http:
            page = http.get(url).text
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            saved = http.post(f"{base}/api/act", headers={"X-CSRF-Token": csrf, "Origin": base},
                              content=json.dumps({"segment_id": "be:0002", "target": "eng_Latn", "action": "edit",
                                                  "text": "saved just before the kill", "version": 0}))
            assert saved.status_code == 200
        process.send_signal(signal.SIGKILL)  # at once, right after the acknowledgement
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    process, url = start_server(dataset)
    try:
        with httpx.Client() as http:
            http.get(url)
            state = http.get(f"{url.split('/?')[0]}/api/item?segment_id=be:0002&target=eng_Latn").json()
        assert state["post_edit"] == "saved just before the kill" and state["status"] == "edited"
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not any(p.name.startswith(".") for p in dataset.iterdir())  # the dataset folder was not touched


# --- bad input ----------------------------------------------------------------------------------------------

def test_bad_input_is_one_error_line(reviewed_dataset, tmp_path, capsys):
    assert main(["review", str(tmp_path / "missing")]) == EXIT_FATAL
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "notes").mkdir()
    assert main(["review", str(tmp_path / "notes")]) == EXIT_FATAL
    assert "not a seedmt dataset" in capsys.readouterr().err
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    store_path(dataset).write_bytes(b"garbage" * 1000)
    assert main(["review", str(dataset)]) == EXIT_FATAL
    err = capsys.readouterr().err
    assert "not a readable review store" in err and "Traceback" not in err and err.count("\n") == 1
    assert main(["review", str(dataset), "--host", "0.0.0.0"]) == EXIT_USAGE
    assert "--allow-remote" in capsys.readouterr().err


def test_a_dataset_from_a_newer_schema_is_refused_by_every_command_with_the_same_message(reviewed_dataset, tmp_path,
                                                                                         capsys):
    from datasets import load_from_disk as load

    dataset = load(str(reviewed_dataset))
    dataset["runs"] = dataset["runs"].map(lambda row: {"schema_version": 99})
    newer = tmp_path / "newer"
    dataset.save_to_disk(str(newer))
    ReviewStore(store_path(newer)).close()
    expected = f"{newer}: written by a newer seedmt (dataset schema 99; this one reads up to 2); upgrade seedmt"
    commands = {"review": ["review", str(newer)], "eval": ["eval", str(newer)],
                "compare": ["compare", str(reviewed_dataset), str(newer)],
                "report": ["report", str(newer), "-o", str(tmp_path / "report.html")],
                "publish": ["publish", str(newer), "--to", str(tmp_path / "export")],
                "review export": ["review", "export", str(newer), "--references", str(tmp_path / "refs")],
                "eval --post-edits": ["eval", str(newer), "--post-edits"]}
    for name, command in commands.items():
        capsys.readouterr()
        assert main(command) == EXIT_FATAL, name
        assert expected in capsys.readouterr().err, name
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "export").exists()


# --- what the review changes downstream -----------------------------------------------------------------------

def test_reviews_flow_into_references_dataset_columns_publishing_and_hter(reviewed_dataset, tiny_model, tmp_path,
                                                                          capsys):
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    segments = {row["segment_id"]: row for row in load_from_disk(str(dataset))["segments"]}
    mt = {sid: row["translation"]["eng_Latn"] for sid, row in segments.items()}
    store = ReviewStore(store_path(dataset))
    store.act("be:0000", "eng_Latn", "edit", machine_translation=mt["be:0000"], reviewer="ana",
              text="At this year's two sessions, the delegates spoke.")
    store.act("be:0001", "eng_Latn", "accept", machine_translation=mt["be:0001"], reviewer="ana")
    store.act("be:0002", "eng_Latn", "reject", machine_translation=mt["be:0002"], reviewer="ana", reason="garbled")
    store.close()

    references = tmp_path / "references"
    (references / "eng_Latn").mkdir(parents=True)
    human = references / "eng_Latn" / "be.jsonl"
    human.write_text('{"segment_id": "be:0000", "text": "a human reference"}\n', encoding="utf-8")
    assert main(["review", "export", str(dataset), "--references", str(references)]) == EXIT_FATAL
    assert "--force" in capsys.readouterr().err and "human reference" in human.read_text(encoding="utf-8")
    assert main(["review", "export", str(dataset), "--references", str(references), "--force"]) == EXIT_OK
    lines = [json.loads(line) for line in human.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len([s for s in segments if s.startswith("be:")])
    assert lines[0]["text"] == "At this year's two sessions, the delegates spoke." and lines[0]["origin"] == "post-edited"
    assert lines[1]["text"] == mt["be:0001"] and lines[1]["origin"] == "accepted as is"
    assert lines[2]["skip"] == "translation rejected in review: garbled" and lines[3]["skip"] == "not reviewed"
    provenance = json.loads(human.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    assert provenance["made_by"] == "seedmt review export" and provenance["reviewers"] == ["ana"]
    assert provenance["how"].startswith("post-edited")
    counts = provenance["counts"]
    assert counts["post-edited"] == 1 and counts["accepted as is"] == 1 and counts["rejected"] == 1
    assert provenance["settings"]["system"] == load_from_disk(str(dataset))["runs"][0]["signature"]
    assert [i["role"] for i in provenance["inputs"]] == ["dataset", "review store"]
    # A second export replaces its own files without --force.
    assert main(["review", "export", str(dataset), "--references", str(references)]) == EXIT_OK

    # The next translate run (all cached) carries the review columns.
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("be.txt", "markup.txt", "markup.lang"):
        (seeds / name).write_bytes((reviewed_dataset.parent.parent / "seeds" / name).read_bytes())
    assert main(["translate", str(seeds), "--out", str(dataset), "--model", str(tiny_model), "--targets", "eng_Latn",
                 "--beam-size", "1", "--max-new-tokens", "6",
                 "--cache", str(reviewed_dataset.parent.parent / "cache.sqlite")]) == EXIT_OK
    rows = {row["segment_id"]: row for row in load_from_disk(str(dataset))["segments"]}
    assert [rows[f"be:000{k}"]["review_eng_Latn"] for k in range(4)] == ["edited", "accepted", "rejected", "unreviewed"]
    assert rows["be:0000"]["post_edit_eng_Latn"] == "At this year's two sessions, the delegates spoke."
    assert rows["be:0001"]["post_edit_eng_Latn"] is None

    # publish --reviewed-only: the accepted and the post-edited pair, nothing else.
    export = tmp_path / "export"
    assert main(["publish", str(dataset), "--to", str(export), "--reviewed-only",
                 "--references", str(references)]) == EXIT_OK
    moses = export / "moses" / "bel_Cyrl-eng_Latn" / "corpus.eng_Latn"
    assert moses.read_text(encoding="utf-8").splitlines() == ["At this year's two sessions, the delegates spoke.",
                                                             mt["be:0001"]]
    card = (export / "README.md").read_text(encoding="utf-8")
    expected_hter = hter(mt["be:0000"], "At this year's two sessions, the delegates spoke.", "eng_Latn")
    assert "1 post-edited, 1 accepted as is, 1 rejected" in card and f"mean HTER {expected_hter}" in card
    assert (export / "translations.tmx").read_text(encoding="utf-8").count("<tu ") == 2

    # eval against the post-edits: HTER per system.
    report = tmp_path / "hter.json"
    assert main(["eval", str(dataset), "--post-edits", "--json", str(report)]) == EXIT_OK
    scores = json.loads(report.read_text(encoding="utf-8"))
    (target,) = scores["targets"]
    assert target["segments"] == 2
    from sacrebleu.metrics import TER

    corpus = TER().corpus_score([mt["be:0000"], mt["be:0001"]],
                                [["At this year's two sessions, the delegates spoke.", mt["be:0001"]]]).score
    assert target["scores"]["TER"]["score"] == pytest.approx(corpus, abs=1e-4)
