"""Correcting an alignment: the link operations, the constrained re-alignment between anchors, scoring against
gold (Vecalign's strict and lax figures), `seedmt align --anchors` and `seedmt align score`."""
from __future__ import annotations

import json

import numpy as np
import pytest

from seedmt.align.aligner import AnchorError, DocumentPair, align_sentences
from seedmt.align.editing import (EditError, accept, in_document_order, link_unlinked, merge, move, split,
                                  unlink)
from seedmt.align.embed import load_embedder
from seedmt.align.gold import AlignmentFileError, gold_scores, parse_alignment
from seedmt.align.links import ACCEPTED, EDITED, Link
from seedmt.cli import EXIT_FATAL, EXIT_OK, main
from seedmt.core.languages import sentence_joiner
from tests.helpers import ALL_CASES, SEEDS_DIR, build_case, gold_links, link_pairs, scores


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


@pytest.fixture(scope="module")
def pairs(embedder) -> dict:
    """Each seed x reference case, embedded once, with its first alignment."""
    out = {}
    for doc_id, target in ALL_CASES:
        case = build_case(doc_id, target)
        pair = DocumentPair(case.source, case.target_sentences, embedder,
                            (sentence_joiner(case.source_lang), sentence_joiner(target)))
        out[(doc_id, target)] = (case, pair, pair.align())
    return out


def key(link: Link) -> tuple:
    return link.source_indices, link.target_indices


def f1(case, links) -> float:
    return scores(link_pairs(links), case.gold)[2]


# --- the operations --------------------------------------------------------------------------------------

def L(s, t, origin="aligner"):  # noqa: N802 - reads as a link in the tables below
    return Link(tuple(s), tuple(t), 0.5 if s and t else None, False, origin)


def test_link_operations_keep_every_sentence_once_and_in_order():
    links = [L([0], [0]), L([1], [1]), L([2], [2, 3]), L([3], []), L([], [4]), L([4], [5])]
    merged = merge(links, 0)
    assert key(merged[0]) == ((0, 1), (0, 1)) and merged[0].origin == EDITED and len(merged) == 5
    assert [key(x) for x in split(merged, 0)[:2]] == [((0,), (0,)), ((1,), (1,))]
    # the next link's target sentence joins link 0; link 1 keeps its source alone
    one_side = merge(links, 0, "target")
    assert [key(x) for x in one_side[:2]] == [((0,), (0, 1)), ((1,), ())]
    moved = move(links, 2, "target", 1)  # 2-2 link gives its last target sentence to the next link
    assert [key(x) for x in moved[2:4]] == [((2,), (2,)), ((3,), (3,))]
    assert [key(x) for x in move(links, 1, "source", -1)[:1]] == [((0, 1), (0,))]
    assert [key(x) for x in unlink(links, 1)[1:3]] == [((1,), ()), ((), (1,))]
    assert [key(x) for x in unlink(links, 2, "target")[2:4]] == [((2,), (2,)), ((), (3,))]
    linked = link_unlinked(links, 3, 5, 6)  # source 3 and target 4, both unlinked and adjacent
    assert ((3,), (4,)) in [key(x) for x in linked]
    assert accept(links, 5)[5].origin == ACCEPTED and accept(links, 5)[5].score == 0.5
    for result in (merged, one_side, moved, linked, split(links, 2), unlink(links, 0)):
        assert sorted(key(x) for x in in_document_order(result, 5, 6)) == sorted(key(x) for x in result)
    with pytest.raises(EditError, match="no next link"):
        merge(links, 5)
    with pytest.raises(EditError, match="nothing to split"):
        split(links, 0)
    with pytest.raises(EditError, match="no sentence on one side"):
        merge([L([0], []), L([1], []), L([], [0])], 0)


def test_document_order_refuses_crossing_missing_and_repeated_sentences():
    with pytest.raises(EditError, match="cross"):
        in_document_order([L([0], [1]), L([1], [0])], 2, 2)
    with pytest.raises(EditError, match="in no link"):
        in_document_order([L([0], [0])], 2, 1)
    with pytest.raises(EditError, match="in two links"):
        in_document_order([L([0], [0]), L([0], [])], 1, 1)
    unordered = [L([], [1]), L([1], [2]), L([0], [0])]
    assert [key(x) for x in in_document_order(unordered, 2, 3)] == [((0,), (0,)), ((), (1,)), ((1,), (2,))]


@pytest.mark.slow
def test_anchors_that_cannot_hold_are_refused(pairs):
    case, pair, _ = pairs[("003_8e8481b4ceab6e39", "eng_Latn")]
    n, m = len(case.source), len(case.target_sentences)
    for anchors, message in (([L([0], [5]), L([3], [1])], "cross"),
                             ([L([0], [0]), L([0], [1])], "another fixed link"),
                             ([L([n], [0])], "has"),
                             ([L([1, 3], [1])], "consecutive"),
                             ([L([2], [2]), L([2], [])], "another fixed link"),
                             ([L([], [m - 1]), L([n - 1], [m - 1])], "another fixed link")):
        with pytest.raises(AnchorError, match=message):
            pair.align(anchors)


# --- the constrained programme ---------------------------------------------------------------------------

@pytest.mark.slow
def test_without_anchors_it_is_the_aligner_and_its_own_links_change_nothing(pairs, embedder):
    """Fixing links of the best alignment as anchors leaves every other link where it was: the programme between
    anchors is the full programme restricted to the stretch (same embeddings, backgrounds and length ratio)."""
    rng = np.random.default_rng(7)
    for (doc_id, target), (case, pair, links) in pairs.items():
        if doc_id.startswith(("000", "003")):
            again = align_sentences(case.source, case.target_sentences, embedder,
                                    (sentence_joiner(case.source_lang), sentence_joiner(target)))
            assert [key(x) for x in again] == [key(x) for x in links]
        linked = [x for x in links if x.is_linked]
        chosen = [linked[k] for k in sorted(rng.choice(len(linked), size=3, replace=False))]
        fixed = pair.align([Link(x.source_indices, x.target_indices, None, False, ACCEPTED) for x in chosen])
        assert sorted(key(x) for x in fixed) == sorted(key(x) for x in links), (doc_id, target)
        assert sum(x.origin == ACCEPTED for x in fixed) == 3


@pytest.mark.slow
def test_anchors_never_change_under_random_edits(pairs):
    """Property: random sequences of operations, each followed by a re-alignment; every anchor comes back
    exactly as it was (sentences and origin), and every sentence is in exactly one link, in order."""
    rng = np.random.default_rng(2024)
    checked = 0
    for doc_id, target in (("001_3e2915cf1267708f", "zho_Hans"), ("004_673d402516499681", "eng_Latn"),
                           ("002_5be13cb78bb9960d", "eng_Latn")):
        case, pair, links = pairs[(doc_id, target)]
        n, m = len(case.source), len(case.target_sentences)
        for _ in range(40):
            k = int(rng.integers(len(links)))
            side = ("source", "target")[int(rng.integers(2))]
            operation = rng.choice(["accept", "merge", "merge-side", "split", "move", "unlink", "link"])
            try:
                if operation == "accept":
                    links = accept(links, k)
                elif operation == "merge":
                    links = merge(links, k)
                elif operation == "merge-side":
                    links = merge(links, k, side)
                elif operation == "split":
                    links = split(links, k)
                elif operation == "move":
                    links = move(links, k, side, int(rng.choice([-1, 1])))
                elif operation == "unlink":
                    links = unlink(links, k, side if rng.random() < 0.5 else None)
                else:
                    links = link_unlinked(links, k, n, m)
            except EditError:
                continue
            links = in_document_order(links, n, m)
            anchors = [x for x in links if x.is_anchor]
            links = in_document_order(pair.align(anchors), n, m)
            got = {key(x): x.origin for x in links}
            assert all(got.get(key(a)) == a.origin for a in anchors), (doc_id, operation)
            checked += 1
    assert checked >= 60


@pytest.mark.slow
def test_accepting_gold_links_never_lowers_f1_and_repairs_each_wrong_region(pairs):
    """Measured on the ten seed x reference cases: with k = 1, 3, 5 random gold links accepted F1 never falls;
    anchoring the gold links at each wrong link's sentences makes every link there right."""
    rng = np.random.default_rng(11)
    for (doc_id, target), (case, pair, links) in pairs.items():
        gold = gold_links(case)
        gold_keys = {key(x) for x in gold}
        before = f1(case, links)
        for k in (1, 3, 5):
            linked = [x for x in gold if x.is_linked]
            chosen = [linked[c] for c in rng.choice(len(linked), size=min(k, len(linked)), replace=False)]
            assert f1(case, pair.align(chosen)) >= before - 1e-9, (doc_id, target, k)
        for wrong in (x for x in links if key(x) not in gold_keys):
            region = [g for g in gold if set(g.source_indices) & set(wrong.source_indices)
                      or set(g.target_indices) & set(wrong.target_indices)]
            repaired = {key(x) for x in pair.align(region)}
            assert all(key(g) in repaired for g in region), (doc_id, target, key(wrong))


@pytest.mark.slow
def test_re_aligning_a_long_stretch_is_immediate(embedder):
    """Re-alignment runs the programme only: a 200-sentence stretch (the Korean seed's article repeated, both
    sides) re-aligns well under a second once embedded (the figure is in the README)."""
    import time

    case = build_case("004_673d402516499681", "eng_Latn")
    source = (case.source * 7)[:200]
    target = (case.target_sentences * 7)[:200]
    pair = DocumentPair(source, target, embedder)
    first = pair.align()
    start = time.perf_counter()
    again = pair.align([Link(first[0].source_indices, first[0].target_indices, None, False, ACCEPTED)])
    elapsed = time.perf_counter() - start
    assert [key(x) for x in again] == [key(x) for x in first]
    print(f"re-aligned 200 x 200 sentences in {elapsed:.3f} s")


# --- scoring against gold ------------------------------------------------------------------------------------

def test_gold_scores_follow_vecaligns_definitions():
    """Hand-counted: test links 0-0 (exact), 1-1 (gold has 1,2-1: lax), 2-0, 3-2 and 4-0 (wrong). Precision over
    all five test links; recall over the three gold links with both sides, against the test's three."""
    gold = parse_alignment("[0]:[0]\n[1, 2]:[1]\n[3]:[]\n[4]:[2]\n", "gold")
    test = parse_alignment("\n".join(json.dumps({"source_indices": s, "target_indices": t})
                                     for s, t in ([[0], [0]], [[1], [1]], [[2], []], [[3], [2]], [[4], []])), "test")
    result = gold_scores([(test, gold)])
    assert (result.precision_strict, result.precision_lax) == (1 / 5, 2 / 5)
    assert (result.recall_strict, result.recall_lax) == (1 / 3, 2 / 3)
    assert result.f1_strict == pytest.approx(2 * 0.2 * (1 / 3) / (0.2 + 1 / 3))
    perfect = gold_scores([(gold, gold)])
    assert perfect.f1_strict == perfect.f1_lax == 1.0
    with pytest.raises(AlignmentFileError, match="gold:2"):
        parse_alignment("[0]:[0]\nnot a link\n", "gold")


# --- the command line ----------------------------------------------------------------------------------------

def test_align_anchors_and_align_score_from_the_command_line(tmp_path, capsys):
    """`seedmt align --anchors`: a hand-made link (the byline with the source's last sentence, wrong on
    purpose) is kept as given and the rest aligned around it; `seedmt align score` reads both formats."""
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    source, translation = tmp_path / "be.txt", tmp_path / "en.txt"
    source.write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"), encoding="utf-8")
    translation.write_text(case.target_text, encoding="utf-8")
    plain, kept = tmp_path / "plain.jsonl", tmp_path / "kept.jsonl"
    languages = ["--source-lang", "bel_Cyrl", "--target-lang", "eng_Latn"]
    assert main(["align", str(source), str(translation), "--out", str(plain), *languages]) == EXIT_OK
    links = [json.loads(line) for line in plain.read_text(encoding="utf-8").splitlines()]
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(json.dumps({"source_indices": [0], "target_indices": [0, 1], "origin": "edited"}) + "\n",
                       encoding="utf-8")
    assert main(["align", str(source), str(translation), "--out", str(kept), "--anchors", str(anchors),
                 *languages]) == EXIT_OK
    assert "1 fixed links kept" in capsys.readouterr().out
    fixed = [json.loads(line) for line in kept.read_text(encoding="utf-8").splitlines()]
    assert fixed[0]["source_indices"] == [0] and fixed[0]["target_indices"] == [0, 1]
    assert fixed[0]["origin"] == "edited" and fixed[0]["needs_review"] is False
    assert fixed[1]["source_indices"] == [1] and 1 not in fixed[1]["target_indices"]
    assert all("origin" not in x for x in links)  # the aligner's own output is unchanged in shape

    gold = tmp_path / "gold.txt"
    gold.write_text("".join(f"{list(x.source_indices)}:{list(x.target_indices)}\n" for x in gold_links(case)),
                    encoding="utf-8")
    assert main(["align", "score", str(plain), str(gold), "--json"]) == EXIT_OK
    figures = json.loads(capsys.readouterr().out)
    test_pairs = [(tuple(x["source_indices"]), tuple(x["target_indices"])) for x in links]
    expected = gold_scores([(test_pairs, parse_alignment(gold.read_text(encoding="utf-8"), "g"))])
    assert figures["f1_strict"] == round(expected.f1_strict, 4) and figures["f1_strict"] > 0.9
    assert main(["align", "score", str(kept), str(gold)]) == EXIT_OK
    assert "precision" in capsys.readouterr().out

    stale = tmp_path / "stale.jsonl"
    stale.write_text(json.dumps({"source_indices": [0], "target_indices": [0], "source_text": "another text",
                                 "target_text": case.target_sentences[0]}) + "\n", encoding="utf-8")
    assert main(["align", str(source), str(translation), "--out", str(tmp_path / "x.jsonl"), "--anchors",
                 str(stale), *languages]) == EXIT_FATAL
    assert "stale.jsonl:1" in capsys.readouterr().err and not (tmp_path / "x.jsonl").exists()
    assert main(["align", "score", str(plain), str(tmp_path / "missing.txt")]) == EXIT_FATAL
    assert "missing.txt" in capsys.readouterr().err


# --- the editor in the review app (HTTP) ---------------------------------------------------------------------

@pytest.fixture
def editor_client(reviewed_dataset, tmp_path):
    from tests.helpers import review_client

    with review_client(reviewed_dataset, tmp_path) as client:
        yield client


def send(client, path, body):
    return client.post(path, content=json.dumps(body),
                       headers={"X-CSRF-Token": client.settings.csrf, "Origin": "http://127.0.0.1:8765"})


def test_the_editor_over_http_operations_undo_gold_and_save(editor_client, tmp_path):
    from seedmt.eval.references import load_references

    client = editor_client
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    seed = (SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8")
    started = send(client, "/api/align", {"source_name": "003_8e8481b4ceab6e39.txt", "source_text": seed,
                                          "target_name": "<img src=x onerror=alert(1)>.txt",
                                          "target_text": case.target_text, "target_lang": "eng_Latn"})
    assert started.status_code == 200, started.text
    base = f"/api/align/{started.json()['id']}"
    first = client.get(base).json()
    assert first["version"] == 0 and first["source_lang"] == "bel_Cyrl"
    assert [len(x["source"]) for x in first["links"]] and sum(len(x["source"]) for x in first["links"]) == 21
    page = client.get(started.json()["url"]).text
    assert "<img src=x" not in page  # the file name is made safe and escaped

    merged = send(client, base + "/op", {"operation": "merge", "k": 0, "version": 0}).json()
    assert merged["version"] == 1 and merged["links"][0]["origin"] == "edited" and merged["links"][0]["anchor"]
    assert [i for i, _ in merged["links"][0]["source"]] == [0, 1]
    stale = send(client, base + "/op", {"operation": "accept", "k": 3, "version": 0})
    assert stale.status_code == 409 and "reload" in stale.json()["error"]
    assert send(client, base + "/op", {"operation": "split", "k": 5, "version": 1}).status_code == 400
    realigned = send(client, base + "/op", {"operation": "realign", "k": 0, "version": 1}).json()
    assert [i for i, _ in realigned["links"][0]["source"]] == [0, 1] and realigned["links"][0]["origin"] == "edited"
    undone = send(client, base + "/undo", {"version": 2}).json()
    assert undone["version"] == 1 and undone["can_redo"]
    assert send(client, base + "/redo", {"version": 1}).json()["version"] == 2
    back = send(client, base + "/undo", {"version": 2}).json()
    back = send(client, base + "/undo", {"version": 1}).json()
    assert back["version"] == 0 and [x["origin"] for x in back["links"]] == [x["origin"] for x in first["links"]]
    accepted = send(client, base + "/op", {"operation": "accept", "k": 2, "version": 0}).json()
    assert accepted["version"] == 1 and not accepted["can_redo"]  # a new operation ends what could be redone

    gold_text = "".join(f"{list(x.source_indices)}:{list(x.target_indices)}\n" for x in gold_links(case))
    scored = send(client, base + "/gold", {"text": gold_text, "version": 1}).json()
    test_pairs = [(tuple(i for i, _ in x["source"]), tuple(j for j, _ in x["target"])) for x in scored["links"]]
    expected = gold_scores([(test_pairs, parse_alignment(gold_text, "gold"))])
    assert scored["gold"]["f1_strict"] == round(expected.f1_strict, 4)

    saved = send(client, base + "/save", {"version": 1}).json()
    reference = load_references(tmp_path / "references", "eng_Latn")["003_8e8481b4ceab6e39"]
    with_text = [line for line in reference.lines if line.text]
    assert len(with_text) >= 19 and reference.lines[0].segment_id == "003_8e8481b4ceab6e39:0000"
    provenance = json.loads(open(saved["provenance"], encoding="utf-8").read())
    assert provenance["made_by"] == "seedmt alignment editor" and provenance["reviewers"] == ["ana"]
    assert provenance["counts"]["links"]["accepted"] == 1 and provenance["counts"]["operations"] == 1
    anchors = client.get(base + "/anchors.jsonl").text.splitlines()
    assert len(anchors) == 1 and json.loads(anchors[0])["origin"] == "accepted"

    # the first output is kept as the aligner made it, and the session survives a restart of the store
    from seedmt.review.alignments import AlignmentStore, store_path

    reopened = AlignmentStore(store_path(client.settings.dataset_dir)).session(int(base.rsplit("/", 1)[1]))
    assert reopened.version == 1 and all(x.origin == "aligner" for x in reopened.raw)


def test_the_editor_opens_align_output_and_reference_imports_and_refuses_bad_input(editor_client, tmp_path):
    client = editor_client
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    seed_path, translation = tmp_path / "003_8e8481b4ceab6e39.txt", tmp_path / "en.txt"
    seed_path.write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"), encoding="utf-8")
    translation.write_text(case.target_text, encoding="utf-8")
    links_path = tmp_path / "links.jsonl"
    assert main(["align", str(seed_path), str(translation), "--out", str(links_path), "--source-lang", "bel_Cyrl",
                 "--target-lang", "eng_Latn"]) == EXIT_OK
    body = {"source_name": seed_path.name, "source_text": seed_path.read_text(encoding="utf-8"),
            "target_name": "en.txt", "target_text": translation.read_text(encoding="utf-8"),
            "source_lang": "bel_Cyrl", "target_lang": "eng_Latn", "links_text": links_path.read_text(encoding="utf-8")}
    opened = send(client, "/api/align", body).json()
    view = client.get(f"/api/align/{opened['id']}").json()
    expected = [json.loads(line) for line in links_path.read_text(encoding="utf-8").splitlines()]
    assert sorted((tuple(i for i, _ in x["source"]), tuple(j for j, _ in x["target"])) for x in view["links"]) == \
        sorted((tuple(x["source_indices"]), tuple(x["target_indices"])) for x in expected)

    other = send(client, "/api/align", {**body, "links_text": '{"source_indices": [0], "target_indices": [0], '
                                                              '"source_text": "not this", "target_text": "x"}\n'})
    assert other.status_code == 400 and "its source_text is not source sentence(s)" in other.json()["error"]
    assert send(client, "/api/align", {**body, "target_text": "  "}).status_code == 400
    assert client.get("/api/align/999").status_code == 404
    assert client.get("/align/999").status_code == 404

    # a `references import` is listed and opens as a session; saving over it is allowed, over a human file not
    assert main(["references", "import", str(seed_path), str(translation), "--lang", "eng_Latn", "--references",
                 str(tmp_path / "references"), "--source-lang", "bel_Cyrl"]) == EXIT_OK
    listing = client.get("/align").text
    assert "open in the editor" in listing and "003_8e8481b4ceab6e39" in listing
    from_import = send(client, "/api/align", {"import_doc": "003_8e8481b4ceab6e39", "import_target": "eng_Latn"})
    assert from_import.status_code == 200, from_import.text
    session = f"/api/align/{from_import.json()['id']}"
    assert send(client, session + "/save", {"version": 0}).status_code == 200
    provenance = tmp_path / "references" / "eng_Latn" / "003_8e8481b4ceab6e39.provenance.json"
    provenance.write_text(json.dumps({"made_by": "a translator"}), encoding="utf-8")
    refused = send(client, session + "/save", {"version": 0})
    assert refused.status_code == 400 and "not made by an alignment" in refused.json()["error"]
    assert send(client, session + "/save", {"force": True, "version": 0}).status_code == 200


@pytest.mark.slow
def test_correcting_only_the_flagged_links(pairs, embedder):
    """A reviewer who looks only at links marked needs_review, replaces each with the gold links covering its
    sentences (one operation per gold link fixed or confirmed) and re-aligns after each: measured over the ten
    cases, 72 operations in all (most on the Korean seed, confirming its page furniture as unlinked), and no case
    ends under F1 0.975; what stays missed is right but incomplete links (a 1-1 link inside a 2-2 unit where the
    splitter cut a sentence elsewhere), which nothing flags."""
    operations = 0
    for (doc_id, target), (case, _, _) in pairs.items():
        pair = DocumentPair(case.source, case.target_sentences, embedder,
                            (sentence_joiner(case.source_lang), sentence_joiner(target)), None, case.paragraph_starts)
        links = pair.align()
        before = f1(case, links)
        gold = gold_links(case)
        anchors: dict = {}
        for _ in range(200):
            todo = [x for x in links if x.needs_review and not x.is_anchor]
            if not todo:
                break
            covering = [g for g in gold if set(g.source_indices) & set(todo[0].source_indices)
                        or set(g.target_indices) & set(todo[0].target_indices)]
            for g in covering:
                if key(g) not in anchors:
                    anchors[key(g)] = g
                    operations += 1
            links = pair.align(list(anchors.values()))
        after = f1(case, links)
        assert after >= before and after >= 0.975, (doc_id, target, before, after)
    assert operations <= 80
    print(f"{operations} operations")


@pytest.mark.slow
def test_an_acknowledged_operation_survives_kill_9(reviewed_dataset, tmp_path):
    """A real server: an operation acknowledged, the process killed at once with SIGKILL, a new server on the
    same files: the session is there at that version, with the operation's links, and undo still works."""
    import re
    import signal

    import httpx

    from tests.helpers import fresh_copy, start_server

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    process, url = start_server(dataset, "--references", str(tmp_path / "references"))
    base = url.split("/?")[0]
    try:
        with httpx.Client(timeout=120) as http:
            page = http.get(url).text
            headers = {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1),
                       "Origin": base}
            started = http.post(f"{base}/api/align", headers=headers, content=json.dumps(
                {"source_name": "be.txt", "target_name": "en.txt", "source_lang": "bel_Cyrl", "target_lang": "eng_Latn",
                 "source_text": (SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"),
                 "target_text": case.target_text})).json()
            merged = http.post(f"{base}/api/align/{started['id']}/op", headers=headers,
                               content=json.dumps({"operation": "merge", "k": 0, "version": 0}))
            assert merged.status_code == 200 and merged.json()["version"] == 1
        process.send_signal(signal.SIGKILL)  # at once, right after the acknowledgement
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    process, url = start_server(dataset, "--references", str(tmp_path / "references"))
    try:
        base = url.split("/?")[0]  # the new server listens on another port
        with httpx.Client(timeout=120) as http:
            page = http.get(url).text
            headers = {"X-CSRF-Token": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1),
                       "Origin": base}
            state = http.get(f"{base}/api/align/{started['id']}").json()
            assert state["version"] == 1 and state["links"][0]["origin"] == "edited"
            assert [i for i, _ in state["links"][0]["source"]] == [0, 1]
            undone = http.post(f"{base}/api/align/{started['id']}/undo", headers=headers,
                               content=json.dumps({"version": 1})).json()
            assert undone["version"] == 0 and undone["links"][0]["origin"] == "aligner"
    finally:
        process.terminate()
        process.wait(timeout=30)
