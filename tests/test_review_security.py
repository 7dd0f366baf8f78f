"""The review server's promises under attack: request size limits, no file read on a request's word, no silent
overwrite, nothing unreviewed in a `--reviewed-only` export, no 5xx on any input, Host checks that work beyond
loopback and over IPv6, one file left after a clean stop."""
from __future__ import annotations

import json
import re
import signal
import socket
import zlib

import numpy as np
import pytest

from tests.helpers import SEEDS_DIR, fresh_copy, review_client, start_server

SEED = "003_8e8481b4ceab6e39"


class HashingEmbedder:
    """Deterministic bag-of-characters vectors: enough for the aligner to run, instant, no model."""
    name = "test-hashing"

    def embed(self, texts):
        vectors = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                vectors[row, zlib.crc32(char.encode()) % 64] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


@pytest.fixture
def app_client(reviewed_dataset, tmp_path):
    with review_client(reviewed_dataset, tmp_path, embedder=HashingEmbedder(),
                       raise_server_exceptions=False) as client:
        yield client


def post(client, path, body, **kwargs):
    """A same-origin POST with the CSRF token; `body`: a dict (sent as JSON), or bytes, text or a generator of
    bytes (sent as they are)."""
    content = json.dumps(body) if isinstance(body, dict) else body
    return client.post(path, content=content, headers={"X-CSRF-Token": client.settings.csrf,
                                                       "Origin": "http://127.0.0.1:8765", **kwargs})


def first_segment(client):
    return next(iter(client.app.state.queue.by_key.values()))


# --- 1. size limits ---------------------------------------------------------------------------------------------

def test_over_long_bodies_are_refused_while_they_stream_in_and_nothing_is_stored(app_client):
    item = first_segment(app_client)
    store = app_client.app.state.store
    edit = {"segment_id": item.segment_id, "target": item.target, "action": "edit", "version": 0}
    # declared too large: refused before a byte is read
    declared = post(app_client, "/api/act", json.dumps({**edit, "text": "x" * 300_000}))
    assert declared.status_code == 413 and "at most 262,144 bytes" in declared.text

    def chunks(total, size=65_536):  # no Content-Length: a chunked body, counted as it streams
        sent = 0
        while sent < total:
            yield b" " * size
            sent += size

    for path in ("/api/act", "/api/undo", "/api/align", "/api/align/1/op", "/api/align/1/gold"):
        streamed = post(app_client, path, chunks(20 * 2 ** 20))
        assert streamed.status_code == 413, (path, streamed.status_code)
    assert post(app_client, "/review", b"{}").status_code in (405, 413)  # a page takes no body

    # within the body limit but longer than this segment can hold
    longest = 8 * len(item.source) + 200
    too_long = post(app_client, "/api/act", {**edit, "text": "y" * (longest + 1)})
    assert too_long.status_code == 400 and too_long.json()["field"] == "text"
    assert post(app_client, "/api/act", {**edit, "action": "reject", "reason": "z" * 2001}).json()["field"] == "reason"
    assert store.reviews() == {} and store.actions() == []
    fits = post(app_client, "/api/act", {**edit, "text": "y" * longest})
    assert fits.status_code == 200 and len(store.review(item.segment_id, item.target).post_edit) == longest


@pytest.mark.slow
def test_a_real_server_stays_small_while_clients_stream_a_gigabyte_at_every_route(reviewed_dataset, tmp_path):
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    process, url = start_server(dataset)
    base = url.split("/?")[0]
    port = int(base.rsplit(":", 1)[1])
    token = url.split("token=")[1]
    import httpx

    with httpx.Client() as http:
        page = http.get(url).text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    routes = ["/api/act", "/api/undo", "/api/redo", "/api/align", "/api/align/1/op", "/api/align/1/gold",
              "/api/align/1/save", "/api/qa", "/", "/review", "/api/item", "/api/tm", "/api/concordance"]
    answers = {}
    try:
        for path in routes:
            answers[path] = _stream(port, path, token, csrf, total=2 ** 30)
        peak = _peak_rss_mib(process.pid)
        with httpx.Client() as http:
            http.get(url)
            alive = http.get(f"{base}/review")
        assert alive.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    # each stream is stopped (413, or the connection closed on it) long before a gigabyte went in
    for path, (status, sent) in answers.items():
        assert status in (413, None) and sent < 64 * 2 ** 20, (path, status, sent)
    print(f"server peak RSS {peak:.0f} MiB while streaming")
    assert peak < 300, f"server peak RSS {peak:.0f} MiB"
    from seedmt.dataset.reviews import store_path

    from seedmt.dataset.reviews import ReviewStore
    store = ReviewStore(store_path(dataset), create=False)
    assert store.actions() == []
    store.close()
    assert store_path(dataset).stat().st_size < 2 ** 20


def _stream(port: int, path: str, token: str, csrf: str, total: int) -> tuple[int | None, int]:
    """POST a chunked body of `total` bytes; returns the status the server answered (None if it closed the
    connection without one reaching us) and how many bytes went out before it stopped reading."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: seedmt_review_token={token}\r\n"
            f"X-CSRF-Token: {csrf}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    chunk = b"%x\r\n" % (1 << 20) + b"7" * (1 << 20) + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        connection.settimeout(5)
        try:
            while sent < total:
                connection.sendall(chunk)
                sent += 1 << 20
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        try:
            answer = connection.recv(4096)
        except (ConnectionResetError, socket.timeout, OSError):
            answer = b""
    match = re.match(rb"HTTP/1.1 (\d+)", answer)
    return (int(match.group(1)) if match else None), sent


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


# --- 2. no file read on a request's word ------------------------------------------------------------------------

def test_file_names_from_the_browser_are_never_opened(app_client, tmp_path):
    secret_dir = tmp_path / "elsewhere"
    secret_dir.mkdir()
    secret = "Сакрэтны тэкст, які ніхто не павінен бачыць. Другі сказ сакрэту."
    (secret_dir / "secret_src.txt").write_text(secret, encoding="utf-8")
    (secret_dir / "secret_tgt.txt").write_text("A secret text nobody may see. The second secret sentence.",
                                               encoding="utf-8")
    started = post(app_client, "/api/align", {
        "source_name": str(secret_dir / "secret_src.txt"), "source_text": "Першы сказ. Другі сказ.",
        "target_name": str(secret_dir / "secret_tgt.txt"), "target_text": "First sentence. Second sentence.",
        "source_lang": "bel_Cyrl", "target_lang": "eng_Latn"})
    assert started.status_code == 200, started.text
    session = app_client.get(f"/api/align/{started.json()['id']}").json()
    assert session["source_name"] == "secret_src.txt"  # the browser's name, kept as a name only
    saved = post(app_client, f"/api/align/{started.json()['id']}/save", {"version": 0})
    assert saved.status_code == 200
    provenance = json.loads(open(saved.json()["provenance"], encoding="utf-8").read())
    assert str(secret_dir) not in json.dumps(provenance)
    # the saved file is not offered as an import, and asking for it opens nothing
    assert "open in the editor" not in app_client.get("/align").text
    reopened = post(app_client, "/api/align", {"import_doc": "secret_src", "import_target": "eng_Latn"})
    assert reopened.status_code == 404
    # a provenance file planted in the references folder that names outside paths is not followed either
    planted = tmp_path / "references" / "eng_Latn" / "planted.provenance.json"
    planted.write_text(json.dumps({"made_by": "seedmt references import", "doc_id": "planted",
                                   "target": "eng_Latn", "seed_copy": str(secret_dir / "secret_src.txt"),
                                   "translation_copy": "../../elsewhere/secret_tgt.txt",
                                   "seed_file": str(secret_dir / "secret_src.txt"),
                                   "translation_file": str(secret_dir / "secret_tgt.txt")}), encoding="utf-8")
    (tmp_path / "references" / "eng_Latn" / "sources").mkdir(exist_ok=True)
    (tmp_path / "references" / "eng_Latn" / "sources" / "planted.txt").symlink_to(secret_dir / "secret_src.txt")
    planted.write_text(planted.read_text().replace(json.dumps(str(secret_dir / "secret_src.txt")),
                                                   '"sources/planted.txt"', 1), encoding="utf-8")
    assert post(app_client, "/api/align", {"import_doc": "planted", "import_target": "eng_Latn"}).status_code == 404
    for session_id in range(1, 4):
        view = app_client.get(f"/api/align/{session_id}").text
        assert "Сакрэтны" not in view and "nobody may see" not in view


def test_a_reference_import_opens_from_the_copies_kept_in_the_references_folder(app_client, tmp_path):
    from seedmt.cli import EXIT_OK, main

    from tests.helpers import build_case

    case = build_case(SEED, "eng_Latn")
    seed_path, translation = tmp_path / f"{SEED}.txt", tmp_path / "en.txt"
    seed_path.write_text((SEEDS_DIR / f"{SEED}.txt").read_text(encoding="utf-8"), encoding="utf-8")
    translation.write_text(case.target_text, encoding="utf-8")
    assert main(["references", "import", str(seed_path), str(translation), "--lang", "eng_Latn", "--references",
                 str(tmp_path / "references"), "--source-lang", "bel_Cyrl"]) == EXIT_OK
    folder = tmp_path / "references" / "eng_Latn"
    assert (folder / "sources" / f"{SEED}.txt").is_file() and (folder / "translations" / f"{SEED}.txt").is_file()
    # the originals move away: the import still opens, from its copies
    translation.rename(tmp_path / "moved.txt")
    seed_path.unlink()
    assert f"{SEED}" in app_client.get("/align").text
    opened = post(app_client, "/api/align", {"import_doc": SEED, "import_target": "eng_Latn"})
    assert opened.status_code == 200, opened.text
    view = app_client.get(f"/api/align/{opened.json()['id']}").json()
    assert view["doc_id"] == SEED and sum(len(x["source"]) for x in view["links"]) == 21
    # a copy replaced by a link to a file elsewhere is not followed
    (folder / "translations" / f"{SEED}.txt").unlink()
    (folder / "translations" / f"{SEED}.txt").symlink_to(tmp_path / "moved.txt")
    assert post(app_client, "/api/align", {"import_doc": SEED, "import_target": "eng_Latn"}).status_code == 404


# --- 3. --reviewed-only publishes nothing unreviewed ------------------------------------------------------------

def test_a_reviewed_only_export_holds_no_unreviewed_translation(reviewed_dataset, tmp_path):
    import pyarrow.parquet as pq
    from datasets import load_from_disk

    from seedmt.cli import EXIT_OK, main
    from seedmt.dataset.reviews import ReviewStore, store_path

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    segments = load_from_disk(str(dataset))["segments"]
    documents = load_from_disk(str(dataset))["documents"]
    rows = [row for row in segments if row["translation"]["eng_Latn"]]
    store = ReviewStore(store_path(dataset))
    accepted, edited, rejected = rows[0], rows[1], rows[2]
    store.act(accepted["segment_id"], "eng_Latn", "accept", machine_translation=accepted["translation"]["eng_Latn"],
              reviewer="ana")
    store.act(edited["segment_id"], "eng_Latn", "edit", machine_translation=edited["translation"]["eng_Latn"],
              reviewer="ana", text="A post-edit by a person.")
    store.act(rejected["segment_id"], "eng_Latn", "reject", machine_translation=rejected["translation"]["eng_Latn"],
              reviewer="ana", reason="wrong")
    store.close()
    export = tmp_path / "export"
    assert main(["publish", str(dataset), "--to", str(export), "--reviewed-only"]) == EXIT_OK

    reviewed = {accepted["translation"]["eng_Latn"], "A post-edit by a person."}
    machine = {row["translation"]["eng_Latn"] for row in segments if row["segment_id"] != accepted["segment_id"]} | \
        {doc["translation_eng_Latn"] for doc in documents}
    sources = {row["translation"][row["source_lang"]] for row in segments} | {doc["text"] for doc in documents}
    unreviewed = {text for text in machine if text} - reviewed - sources
    assert edited["translation"]["eng_Latn"] in unreviewed or edited["translation"]["eng_Latn"] in reviewed
    published: list[str] = []
    files = [p for p in export.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".parquet", ".tmx", ".md"}
    for path in files:
        if path.suffix == ".parquet":
            for column in pq.read_table(path).to_pylist():
                published += _strings(column)
        elif path.suffix == ".tmx":
            published += re.findall(r"<seg>(.*?)</seg>", path.read_text(encoding="utf-8"), re.S)
        else:
            published += path.read_text(encoding="utf-8").splitlines()
    leaked = {text for text in published if text in unreviewed}
    assert not leaked, leaked
    assert "A post-edit by a person." in published and accepted["translation"]["eng_Latn"] in published
    card = (export / "README.md").read_text(encoding="utf-8")
    assert "no full translations" in card


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# --- 4. versions and conflicts ----------------------------------------------------------------------------------

def test_every_state_change_needs_an_integer_version_and_the_loser_of_a_conflict_is_kept(app_client):
    item = first_segment(app_client)
    store = app_client.app.state.store
    edit = {"segment_id": item.segment_id, "target": item.target, "action": "edit", "text": "first tab"}
    for version in (None, "abc", "1", 1.0, True, -1, 2 ** 70):
        body = edit if version is None else {**edit, "version": version}
        refused = post(app_client, "/api/act", body)
        assert refused.status_code == 400 and refused.json()["field"] == "version", (version, refused.text)
    assert store.reviews() == {}
    assert post(app_client, "/api/act", {**edit, "version": 0}).status_code == 200
    losing = post(app_client, "/api/act", {**edit, "text": "second tab", "version": 0})
    assert losing.status_code == 409 and losing.json()["conflict"]["attempted"]["text"] == "second tab"
    assert store.review(item.segment_id, item.target).post_edit == "first tab"
    kept = app_client.get("/api/rejected-edits", params={"segment_id": item.segment_id, "target": item.target})
    assert [x["text"] for x in kept.json()["rejected"]] == ["second tab"]
    # the refused edit is in the log but changes nothing, and undo skips it
    assert [a["action"] for a in store.actions()] == ["edit", "rejected-concurrent"]
    log_version = losing.json()["log_version"]
    assert post(app_client, "/api/undo", {}).status_code == 400
    undone = post(app_client, "/api/undo", {"version": log_version})
    assert undone.status_code == 200 and undone.json()["review"]["status"] == "unreviewed"
    # undo decided on an old view of the log (another tab acted since) is refused, not applied to their action
    assert post(app_client, "/api/redo", {"version": log_version}).status_code == 409
    # the alignment editor: the same rule
    started = post(app_client, "/api/align", {"source_text": "Першы сказ. Другі сказ.", "target_text":
                                              "First sentence. Second sentence.", "source_lang": "bel_Cyrl",
                                              "target_lang": "eng_Latn"}).json()
    base = f"/api/align/{started['id']}"
    for what, body in (("op", {"operation": "accept", "k": 0}), ("undo", {}), ("redo", {}), ("save", {}),
                       ("gold", {"text": "[0]:[0]\n"}), ("op", {"operation": "accept", "k": 0, "version": "0"})):
        answer = post(app_client, f"{base}/{what}", body)
        assert answer.status_code == 400 and answer.json()["field"] == "version", (what, answer.text)
    assert post(app_client, f"{base}/op", {"operation": "accept", "k": 0, "version": 0}).status_code == 200
    assert post(app_client, f"{base}/save", {"version": 0}).status_code == 409  # saving what you did not see


# --- 5. no 5xx on any input -------------------------------------------------------------------------------------

def test_the_inputs_that_used_to_raise_answer_400_or_404(app_client):
    item = first_segment(app_client)
    edit = {"segment_id": item.segment_id, "target": item.target, "version": 0}
    cases = [
        ("/api/act", {**edit, "action": "edit", "text": 5}, "text"),
        ("/api/act", {**edit, "action": "edit", "text": ["a"]}, "text"),
        ("/api/act", {**edit, "action": "reject", "reason": 5}, "reason"),
        ("/api/act", {**edit, "action": "reject", "reason": {"a": 1}}, "reason"),
        ("/api/act", '{"version": 1e400, "segment_id": "x", "target": "y", "action": "accept"}', "version"),
        ("/api/act", "[" * 100_000 + "]" * 100_000, None),
        ("/api/act", b"\xff\xfe", None),
        ("/api/align/1/op", '{"version": 0, "operation": "accept", "k": 1e400}', "k"),
    ]
    for path, body, field in cases:
        answer = post(app_client, path, body if isinstance(body, (str, bytes)) else json.dumps(body))
        assert answer.status_code == 400 and answer.json()["field"] == field, (path, answer.text[:200])
    assert app_client.get("/api/align/99999999999999999999").status_code == 404
    assert app_client.get("/align/99999999999999999999").status_code == 404
    assert post(app_client, "/api/align/99999999999999999999/op",
                {"version": 0, "operation": "accept", "k": 0}).status_code == 404


@pytest.mark.slow
def test_random_json_at_every_route_never_gets_a_5xx(app_client):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    item = first_segment(app_client)
    started = post(app_client, "/api/align", {"source_text": "Першы сказ. Другі сказ.", "target_text":
                                              "First sentence. Second sentence.", "source_lang": "bel_Cyrl",
                                              "target_lang": "eng_Latn"}).json()
    session = started["id"]
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30) | \
        st.sampled_from([item.segment_id, item.target, "edit", "accept", "reject", "reset", "merge", "split", "move",
                         "unlink", "link", "realign", "source", "target", "both", "eng_Latn", "bel_Cyrl", "[0]:[0]",
                         "Першы сказ.", 0, 1, -1, 2 ** 63, 1e308, "numbers", "length", "resolve", "ignore"])
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) |
                          st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
    keys = st.sampled_from(["segment_id", "target", "action", "version", "text", "reason", "seconds", "operation",
                            "k", "side", "direction", "force", "source_text", "target_text", "source_name",
                            "target_name", "source_lang", "target_lang", "links_text", "import_doc", "import_target",
                            "check", "decision"])
    routes = st.sampled_from(["/api/act", "/api/undo", "/api/redo", "/api/align", f"/api/align/{session}/op",
                              f"/api/align/{session}/undo", f"/api/align/{session}/redo",
                              f"/api/align/{session}/gold", f"/api/align/{session}/save", f"/api/align/{session}/x",
                              "/api/align/0/op", "/api/qa"])
    random_requests = st.tuples(routes, st.dictionaries(keys, values, max_size=8) | values)
    # valid requests with one field changed, left out or left as it is: these reach the handlers
    valid = [("/api/act", {"segment_id": item.segment_id, "target": item.target, "action": "edit", "text": "ok",
                           "version": 0}),
             ("/api/act", {"segment_id": item.segment_id, "target": item.target, "action": "reject",
                           "reason": "bad", "version": 1}),
             ("/api/undo", {"version": 0}), ("/api/redo", {"version": 0}),
             (f"/api/align/{session}/op", {"operation": "merge", "k": 0, "version": 0, "side": "both"}),
             (f"/api/align/{session}/op", {"operation": "move", "k": 0, "version": 0, "side": "source",
                                           "direction": 1}),
             (f"/api/align/{session}/undo", {"version": 1}), (f"/api/align/{session}/gold", {"text": "[0]:[0]",
                                                                                             "version": 0}),
             (f"/api/align/{session}/save", {"version": 0}),
             ("/api/align", {"source_text": "Першы сказ.", "target_text": "First sentence.", "source_lang":
                             "bel_Cyrl", "target_lang": "eng_Latn"}),
             ("/api/qa", {"segment_id": item.segment_id, "target": item.target, "check": "length",
                          "decision": "ignore", "reason": "a heading"})]

    def changed(pair):
        path, body = pair
        return st.one_of(st.just(body), st.sampled_from(sorted(body)).map(
            lambda key: {k: v for k, v in body.items() if k != key}),
            st.tuples(keys, values).map(lambda kv: {**body, kv[0]: kv[1]})).map(lambda b: (path, b))

    requests = random_requests | st.sampled_from(valid).flatmap(changed)
    seen = []

    @settings(max_examples=int(__import__("os").environ.get("SEEDMT_FUZZ_EXAMPLES", "300")), deadline=None,
              suppress_health_check=list(HealthCheck), derandomize=True)
    @given(request=requests, query=st.dictionaries(st.sampled_from(
        ["segment_id", "target", "doc", "status", "flag", "qa", "order", "page", "q", "lang", "side"]),
        st.text(max_size=20) | st.sampled_from([item.segment_id, item.target, "eng_Latn", "numbers", "any"]),
        max_size=4))
    def one_request(request, query):
        route, body = request
        answer = post(app_client, route, json.dumps(body, allow_nan=True))
        assert answer.status_code < 500, (route, body, answer.text[:300])
        for path in ("/api/item", "/review", "/api/rejected-edits", "/api/tm", "/api/concordance"):
            page = app_client.get(path, params=query)
            assert page.status_code < 500, (path, query, page.text[:300])
        seen.append(answer.status_code)

    one_request()
    assert 200 in seen and 400 in seen  # the fuzzer reached the handlers, not only the validation


# --- 6. Host checks beyond loopback and over IPv6; 7. a clean stop --------------------------------------------------

def test_allowed_hosts_for_a_public_url_and_ipv6():
    from seedmt.review.app import ReviewSettings

    public = ReviewSettings("d", host="0.0.0.0", port=8773, public_url="http://reviews.lab.example:8773/")
    assert "reviews.lab.example:8773" in public.allowed_hosts() and "127.0.0.1:8773" in public.allowed_hosts()
    assert public.url().startswith("http://reviews.lab.example:8773/?token=")
    proxied = ReviewSettings("d", host="0.0.0.0", port=8773, public_url="https://reviews.lab.example/")
    assert "reviews.lab.example" in proxied.allowed_hosts()
    assert "https://reviews.lab.example" in proxied.allowed_origins("reviews.lab.example")
    ipv6 = ReviewSettings("d", host="::1", port=8773)
    assert ipv6.url().startswith("http://[::1]:8773/?token=") and "[::1]:8773" in ipv6.allowed_hosts()
    named = ReviewSettings("d", host="0.0.0.0", port=8773, allowed_hosts_extra=("box.lan", "Box2.lan:9000"))
    assert {"box.lan:8773", "box2.lan:9000"} <= named.allowed_hosts()
    assert "evil.example:8773" not in named.allowed_hosts()


def test_a_host_that_listens_everywhere_needs_to_know_its_own_name(reviewed_dataset, capsys):
    from seedmt.cli import EXIT_USAGE, main

    assert main(["review", str(reviewed_dataset), "--host", "0.0.0.0", "--allow-remote"]) == EXIT_USAGE
    assert "--public-url" in capsys.readouterr().err
    assert main(["review", str(reviewed_dataset), "--host", "0.0.0.0"]) == EXIT_USAGE


@pytest.mark.slow
def test_remote_and_ipv6_servers_answer_at_the_url_they_print(reviewed_dataset, tmp_path):
    import httpx

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    port = _free_port()
    process, url = start_server(dataset, "--host", "0.0.0.0", "--allow-remote", "--port", str(port),
                                "--public-url", f"http://reviews.lab.example:{port}/")
    try:
        assert url.startswith(f"http://reviews.lab.example:{port}/?token=")
        token = url.split("token=")[1]
        # the name resolves to this machine in the real deployment; here we send its Host header to loopback
        with httpx.Client(headers={"Host": f"reviews.lab.example:{port}"}) as http:
            page = http.get(f"http://127.0.0.1:{port}/?token={token}")
            assert page.status_code == 200
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
            item = http.get(f"http://127.0.0.1:{port}/review").status_code
            assert item == 200
            accepted = http.post(f"http://127.0.0.1:{port}/api/undo", content=json.dumps({"version": 0}),
                                 headers={"X-CSRF-Token": csrf, "Origin": f"http://reviews.lab.example:{port}"})
            assert accepted.status_code == 200
        with httpx.Client(headers={"Host": f"evil.example:{port}"}) as http:
            assert http.get(f"http://127.0.0.1:{port}/?token={token}").status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=30)
    process, url = start_server(dataset, "--host", "::1")
    try:
        assert url.startswith("http://[::1]:")
        with httpx.Client() as http:
            assert http.get(url).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_clean_stop_folds_the_write_ahead_log_and_exits_0(reviewed_dataset, tmp_path):
    import httpx

    from seedmt.dataset.reviews import store_path

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    process, url = start_server(dataset)
    base = url.split("/?")[0]
    with httpx.Client() as http:
        page = http.get(url).text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        segment = re.search(r'data-segment="([^"]+)"', http.get(f"{base}/review").text).group(1)
        for k in range(20):
            state = http.get(f"{base}/api/item", params={"segment_id": segment, "target": "eng_Latn"}).json()
            saved = http.post(f"{base}/api/act", headers={"X-CSRF-Token": csrf, "Origin": base},
                              content=json.dumps({"segment_id": segment, "target": "eng_Latn", "action": "edit",
                                                  "text": f"edit {k} " * 40, "version": state["version"]}))
            assert saved.status_code == 200
    wal = store_path(dataset).with_name(store_path(dataset).name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not wal.exists() or wal.stat().st_size == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_random_paths_and_query_strings_at_both_apps_never_get_a_5xx(app_client, translated_dir, tmp_path):
    """Every route of the review app and of the annotation app, with random path parameters (numbers of any size,
    non-ASCII digits, text) and random query strings, GET and POST: never a 5xx."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from starlette.testclient import TestClient

    from seedmt.dataset.campaigns import create_campaign
    from seedmt.review.annotation import create_annotation_app
    from seedmt.review.app import ReviewSettings
    from tests.helpers import rewrite_translations

    other = rewrite_translations(translated_dir, tmp_path / "other", lambda s, t: "another translation")
    campaign = tmp_path / "fuzz.campaign.sqlite"
    create_campaign(campaign, [("a", translated_dir), ("b", other)], protocol="mqm", items=4,
                    annotators=["ana"]).close()
    annotation_settings = ReviewSettings(campaign, reviewer="ana", port=8766)
    annotation_app = create_annotation_app(annotation_settings, campaign, "ana")
    odd = st.sampled_from(["0", "1", "²", "٣", "9" * 5000, "-1", "1e9", " 1", "%00", "..", "../../etc/passwd",
                           "\u202e", "0x10", str(2 ** 63), "1/2"]) | st.text(max_size=12)
    path_templates = ["/align/{}", "/api/align/{}", "/api/align/{}/anchors.jsonl", "/api/align/{}/{}", "/review/{}",
                      "/static/{}", "/{}"]
    review_gets = ["/", "/review", "/api/item", "/api/rejected-edits", "/align", "/api/tm", "/api/concordance"]
    query_keys = st.sampled_from(["segment_id", "target", "doc", "status", "flag", "order", "page", "position",
                                  "token", "x", "qa", "q", "lang", "side"])
    queries = st.dictionaries(query_keys, odd, max_size=5)
    seen = []
    try:
        with TestClient(annotation_app, base_url="http://127.0.0.1:8766", raise_server_exceptions=False) as notes:
            notes.get(f"/?token={annotation_settings.token}")
            headers = {"X-CSRF-Token": annotation_settings.csrf, "Origin": "http://127.0.0.1:8766"}

            @settings(max_examples=int(__import__("os").environ.get("SEEDMT_FUZZ_EXAMPLES", "300")), deadline=None,
                      suppress_health_check=list(HealthCheck), derandomize=True)
            @given(template=st.sampled_from(path_templates), parts=st.lists(odd, min_size=2, max_size=2),
                   query=queries, get=st.sampled_from(review_gets),
                   body=st.dictionaries(st.sampled_from(["position", "version", "seconds", "translations"]),
                                        st.none() | st.integers() | odd | st.lists(st.dictionaries(
                                            st.sampled_from(["score", "spans"]), st.integers() | odd |
                                            st.lists(st.dictionaries(st.sampled_from(
                                                ["start", "end", "severity", "category"]), st.integers() | odd,
                                                max_size=4), max_size=3), max_size=2), max_size=3), max_size=4))
            def one_round(template, parts, query, get, body):
                from urllib.parse import quote

                path = template.format(*(quote(p, safe="") for p in parts))
                answers = [app_client.get(path, params=query), post(app_client, path, json.dumps(body)),
                           app_client.get(get, params=query),
                           notes.get("/api/campaign/item", params=query), notes.get(path, params=query),
                           notes.post("/api/campaign/judge", content=json.dumps(body), headers=headers)]
                for answer in answers:
                    assert answer.status_code < 500, (path, query, body, answer.status_code, answer.text[:300])
                seen.extend(a.status_code for a in answers)

            one_round()
    finally:
        annotation_app.state.store.close()
    assert 200 in seen and 400 in seen and 404 in seen
