"""The translators' instruments in the review app: QA findings underlined and filtered, resolved or ignored with a
reason; glossary terms beside the segment; translation-memory matches (kept up to date as reviews are saved) and
concordance; every new route behind the token, CSRF and its schema."""
from __future__ import annotations

import json
import re

import pytest
from starlette.testclient import TestClient

from seedmt.review.app import ReviewSettings, close_app, create_app
from tests.helpers import REPO_ROOT, dataset_of_references

BELARUSIAN = "003_8e8481b4ceab6e39"
WRONG = f"{BELARUSIAN}:0021"  # its English translation changes a number and drops a bracket
SIMILAR = f"{BELARUSIAN}:0022"
EXTRA = {BELARUSIAN: [
    ("Кошт 300 000 рублёў (каля 90 000 долараў).", {"eng_Latn": "It costs 30,000 roubles (about 90,000 dollars.",
                                                     "zho_Hans": "费用为30万卢布（约9万美元）。"}),
    ("Кошт 300 000 рублёў (каля 80 000 долараў).", {"eng_Latn": "The cost is 300,000 roubles (about 80,000 dollars).",
                                                     "zho_Hans": "费用为30万卢布（约8万美元）。"}),
]}


@pytest.fixture
def client(tmp_path):
    dataset = dataset_of_references(tmp_path / "translations", doc_ids=(BELARUSIAN,), extra=EXTRA)
    glossary = tmp_path / "terms.csv"
    glossary.write_text("source term,target term,target language,note,forbidden\n"
                        "лазер,laser,eng_Latn,,\nрублёў,rubles,eng_Latn,house style: roubles,yes\n",
                        encoding="utf-8")
    settings = ReviewSettings(dataset, references_dir=REPO_ROOT / "references", reviewer="ana", port=8765,
                              glossary=glossary)
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://127.0.0.1:8765") as test_client:
            test_client.settings = settings
            test_client.get(f"/?token={settings.token}")
            yield test_client
    finally:
        close_app(app)


def post(client, path, body, **headers):
    return client.post(path, content=json.dumps(body), headers={"X-CSRF-Token": client.settings.csrf,
                                                                "Origin": "http://127.0.0.1:8765", **headers})


def rows(page: str) -> list[str]:
    return re.findall(r'data-segment="([^"]+)" data-target="([^"]+)"', page)


def test_qa_filter_underlines_the_spans_and_knows_its_checks(client):
    page = client.get("/review", params={"qa": "numbers"}).text
    assert rows(page) == [(WRONG, "eng_Latn")]
    assert '<mark class="qa error" title="numbers: missing from the translation: 300 000' in page
    assert '<mark class="qa error"' in page and ">30,000</mark>" in page
    assert 'data-check="brackets"' in page
    assert client.get("/review", params={"qa": "no-such-check"}).status_code == 404
    anything = rows(client.get("/review", params={"qa": "any", "target": "eng_Latn"}).text)
    assert (WRONG, "eng_Latn") in anything and (SIMILAR, "eng_Latn") not in anything
    assert rows(client.get("/review", params={"qa": "forbidden_term"}).text) == []
    post(client, "/api/act", {"segment_id": SIMILAR, "target": "eng_Latn", "action": "edit", "version": 0,
                              "text": "The cost is 300,000 rubles (about 80,000 dollars)."})
    assert rows(client.get("/review", params={"qa": "forbidden_term"}).text) == [(SIMILAR, "eng_Latn")]


def test_a_finding_resolved_or_ignored_leaves_the_queue_and_a_fixing_edit_clears_it(client):
    body = {"segment_id": WRONG, "target": "eng_Latn", "check": "brackets", "decision": "ignore"}
    refused = post(client, "/api/qa", body)
    assert refused.status_code == 400 and "reason" in refused.json()["error"]
    assert post(client, "/api/qa", {**body, "decision": "maybe"}).status_code == 400
    assert post(client, "/api/qa", {**body, "check": "urls", "reason": "x"}).status_code == 409
    assert client.post("/api/qa", content=json.dumps({**body, "reason": "ok"})).status_code == 403  # no CSRF token
    ignored = post(client, "/api/qa", {**body, "reason": "the bracket closes in the next segment"})
    assert ignored.status_code == 200 and ignored.json()["reviewer"] == "ana"
    # a second decision on the same finding is added to the log, the first is kept
    assert post(client, "/api/qa", {**body, "decision": "resolve"}).status_code == 200
    log = client.app.state.store.qa_decision_log()
    assert [(d["decision"], d["reason"]) for d in log] == [("ignore", "the bracket closes in the next segment"),
                                                          ("resolve", None)]
    assert rows(client.get("/review", params={"qa": "brackets"}).text) == []
    assert rows(client.get("/review", params={"qa": "numbers"}).text) == [(WRONG, "eng_Latn")]
    # the reviewer fixes the translation: the post-edit is checked, and the number finding is gone
    fixed = post(client, "/api/act", {"segment_id": WRONG, "target": "eng_Latn", "action": "edit", "version": 0,
                                      "text": "It costs 300,000 roubles (about 90,000 dollars)."})
    assert fixed.status_code == 200
    assert rows(client.get("/review", params={"qa": "numbers"}).text) == []
    # a post-edit that breaks the number again brings the finding back, on the new text
    post(client, "/api/act", {"segment_id": WRONG, "target": "eng_Latn", "action": "edit", "version": 1,
                              "text": "It costs 3,000 roubles (about 90,000 dollars)."})
    assert rows(client.get("/review", params={"qa": "numbers"}).text) == [(WRONG, "eng_Latn")]


def test_glossary_terms_beside_the_segment(client):
    page = client.get("/review", params={"doc": BELARUSIAN, "order": "document", "target": "eng_Latn"}).text
    assert 'class="term">лазер → laser</li>' in page or "лазер → laser" in page
    terms = client.get("/api/tm", params={"segment_id": f"{BELARUSIAN}:0003", "target": "eng_Latn"}).json()
    assert [(t["source_term"], t["target_term"]) for t in terms["glossary"]] == [("лазер", "laser")]


def test_memory_matches_follow_the_saved_reviews_and_concordance_searches_them(client):
    before = client.get("/api/tm", params={"segment_id": SIMILAR, "target": "eng_Latn"}).json()["matches"]
    assert all(m["target"] != "It costs 300,000 roubles (about 90,000 dollars)." for m in before)
    post(client, "/api/act", {"segment_id": WRONG, "target": "eng_Latn", "action": "edit", "version": 0,
                              "text": "It costs 300,000 roubles (about 90,000 dollars)."})
    matches = client.get("/api/tm", params={"segment_id": SIMILAR, "target": "eng_Latn"}).json()["matches"]
    best = matches[0]
    assert best["target"] == "It costs 300,000 roubles (about 90,000 dollars)." and best["origin"] == "post-edit"
    assert 90 <= best["score"] < 100
    source = EXTRA[BELARUSIAN][0][0]
    assert "".join(source[s:e] for op, s, e in best["differences"] if op != "insert") == "9"
    hits = client.get("/api/concordance", params={"q": "laser industry", "lang": "eng_Latn", "side": "target"})
    assert hits.status_code == 200 and hits.json()["hits"]
    assert all("laser industry" in h["target"].lower() for h in hits.json()["hits"])
    assert client.get("/api/concordance", params={"q": "x", "lang": "klingon"}).status_code == 400
    assert client.get("/api/concordance", params={"q": "x" * 201, "lang": "eng_Latn"}).status_code == 400
    assert client.get("/api/tm", params={"segment_id": "../x", "target": "eng_Latn"}).status_code == 404


def test_new_routes_need_the_token(client):
    from starlette.testclient import TestClient as Fresh

    stranger = Fresh(client.app, base_url="http://127.0.0.1:8765")
    for path in ("/api/tm", "/api/concordance"):
        assert stranger.get(path, params={"segment_id": WRONG, "target": "eng_Latn", "q": "a",
                                          "lang": "eng_Latn"}).status_code == 403
    assert stranger.post("/api/qa", content="{}").status_code == 403
