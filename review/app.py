"""`seedmt review`: a local web app (Starlette) to review, post-edit, accept and reject translations.

Security, as for any local server over local data (Jupyter, Datasette):
- it binds 127.0.0.1 unless told otherwise; a random token per start is in the printed URL, and every request
  without it (in the URL, or in the cookie the first visit sets) gets 403;
- the Host header must name this server (no DNS rebinding); state-changing requests must carry the page's
  CSRF token and come from this origin;
- every text from seeds, translations and references reaches the page as text (Jinja2 autoescaping; the
  script writes with textContent), and a Content-Security-Policy forbids inline script;
- document and segment ids are looked up in the dataset, never joined into paths.

Every action is one transaction in the review store (`seedmt.dataset.reviews`) before it is acknowledged; the
dataset folder is only read."""
from __future__ import annotations

import hmac
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seedmt.align.embed import ALIGN_EMBEDDER
from seedmt.align.similarity import LOW_SIMILARITY
from seedmt.cat.glossary import read_glossary
from seedmt.cat.memory import TranslationMemory, memory_path
from seedmt.cat.pairs import ACCEPTED as ACCEPTED_TRANSLATION, POST_EDIT, memory_pairs
from seedmt.cat.qa import CHECKS, Pair
from seedmt.core.errors import SeedMTError, SettingsError
from seedmt.core.languages import text_direction
from seedmt.dataset.reviews import (EDITED, STATUSES, LogMovedOn, Review, ReviewConflict, ReviewStore, UndoConflict,
                                    hter, store_path)
from seedmt.review.alignment_routes import alignment_routes
from seedmt.review.alignments import AlignmentEditor, AlignmentStore
from seedmt.review.alignments import store_path as alignment_store_path
from seedmt.review.diff import diff
from seedmt.review.queue import PAGE_SIZE, Item, ReviewQueue, current_text, status_of
from seedmt.review.schemas import (MAX_POST_EDIT_CHARS, MAX_QUERY_CHARS, POST_EDIT_FACTOR, BadRequest, QaDecision,
                                   ReviewAction, ReviewStep, body_limit, max_post_edit_chars, parse)

HERE = Path(__file__).parent
COOKIE = "seedmt_review_token"
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# A page or queue position in a query string: ASCII digits only (int() would also take "٣", "²" after isdigit(), or
# a number of 5,000 digits).
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def host_for_url(host: str) -> str:
    """An address as it is written in a URL and a Host header (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


@dataclass
class ReviewSettings:
    dataset_dir: Path
    references_dir: Path | None = None
    reviewer: str = "reviewer"
    host: str = "127.0.0.1"
    port: int = 8765
    saved_references_dir: Path | None = None  # where the alignment editor saves (default: references_dir)
    embedder: object = ALIGN_EMBEDDER  # the alignment editor's sentence encoder: a built-in name or an Embedder
    # The address people open when the app listens beyond loopback (`--public-url`): its host is allowed and the
    # printed URL uses it. `allowed_hosts_extra`: more names or name:port the Host header may carry.
    public_url: str | None = None
    allowed_hosts_extra: tuple[str, ...] = ()
    glossary: Path | None = None  # terms shown beside each segment and checked by QA (seedmt.cat.glossary)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        if self.public_url is not None:
            check_public_url(self.public_url)

    def allowed_hosts(self) -> set[str]:
        """Host headers this server answers to (lower case; DNS rebinding sends another name)."""
        names = set()
        if self.host in LOOPBACK_NAMES or self.host in WILDCARD_ADDRESSES:
            names |= {"127.0.0.1", "localhost", "[::1]"}
        if self.host not in WILDCARD_ADDRESSES:
            names.add(host_for_url(self.host))
        hosts = {f"{name}:{self.port}".lower() for name in names}
        if self.port == 80:
            hosts |= {name.lower() for name in names}
        for extra in self.allowed_hosts_extra:
            extra = extra.strip().lower()
            hosts.add(extra if _has_port(extra) else f"{host_for_url(extra)}:{self.port}")
        if self.public_url:
            hosts.add(_netloc(self.public_url))
        return hosts

    def allowed_origins(self, host: str) -> set[str]:
        origins = {f"http://{host}"}
        if self.public_url:
            scheme, _, rest = self.public_url.partition("://")
            origins.add(f"{scheme.lower()}://{_netloc(self.public_url)}")
        return origins

    def url(self) -> str:
        if self.public_url:
            return f"{self.public_url.rstrip('/')}/?token={self.token}"
        host = "127.0.0.1" if self.host in WILDCARD_ADDRESSES else host_for_url(self.host)
        return f"http://{host}:{self.port}/?token={self.token}"


def check_public_url(url: str) -> None:
    """SettingsError unless `url` is an http(s) URL with a host and a valid port (checked at start, so that a
    typo is one message, not a server that answers every request with an error)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port, host = parts.port, parts.hostname
    except ValueError as err:
        raise SettingsError(f"--public-url {url}: {err}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise SettingsError(f"--public-url {url}: expected http://HOST[:PORT]/ or https://HOST[:PORT]/")
    if port == 0:
        raise SettingsError(f"--public-url {url}: port 0 is not a port people can open")


def _has_port(host: str) -> bool:
    return host.rsplit("]", 1)[-1].count(":") == 1 if host.startswith("[") else host.count(":") == 1


def _netloc(url: str) -> str:
    """host:port of a URL, the port filled in from the scheme, lower case."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = host_for_url(parts.hostname or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    default = (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)
    return (host if default and not parts.port else f"{host}:{port}").lower()


def direction(code: str) -> str:
    return text_direction(code)


def create_app(settings: ReviewSettings, queue: ReviewQueue | None = None, store: ReviewStore | None = None) -> Starlette:
    glossary = read_glossary(settings.glossary) if settings.glossary is not None else None
    queue = queue or ReviewQueue(settings.dataset_dir, settings.references_dir, glossary)
    store = store or ReviewStore(store_path(settings.dataset_dir))
    # the translation memory beside the dataset: made from the project's pairs the first time, then kept up to
    # date with every post-edit and accepted translation saved here
    memory = TranslationMemory(memory_path(settings.dataset_dir))
    if not len(memory):  # (references of other documents join with `seedmt tm build`, which identifies languages)
        memory.add(memory_pairs(settings.dataset_dir, settings.references_dir, identify=False))
    threading.Thread(target=queue.check_all, name="seedmt-qa", daemon=True).start()
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                            lstrip_blocks=True)
    templates.globals.update(direction=direction, LOW_SIMILARITY=LOW_SIMILARITY)

    def render(name: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(csrf=settings.csrf, reviewer=settings.reviewer,
                                                                system=queue.system,
                                                                log_version=store.log_version(settings.reviewer),
                                                                **context),
                            status_code=status_code)

    def item_view(item: Item, reviews: dict, decisions: dict) -> dict:
        review = reviews.get((item.segment_id, item.target))
        current = review if review is not None and review.machine_translation == item.translation else None
        status = status_of(item, reviews)
        edited = current.post_edit if current is not None and status == EDITED else None
        findings = queue.open_findings(item, reviews, decisions)
        return {"item": item, "status": status, "version": current.version if current else 0,
                "qa": findings, "glossary": queue.glossary_hits(item, reviews),
                "source_pieces": marked_pieces(item.source, [(s, f) for f in findings for s in f.source_spans]),
                "mt_pieces": marked_pieces(item.translation, [] if edited else
                                           [(s, f) for f in findings for s in f.target_spans]),
                "post_edit": edited, "reason": current.reason if current and status == "rejected" else None,
                "diff": diff(item.translation, edited, item.target) if edited else None,
                "hter": hter(item.translation, edited, item.target) if edited else None,
                "seconds": round(current.seconds, 1) if current else 0.0,
                "source_dir": direction(item.source_lang), "target_dir": direction(item.target)}

    async def documents(request: Request) -> Response:
        reviews = store.reviews()
        summaries = queue.document_summaries(reviews)
        # HTER of every edit: in a worker thread, so that a large review log does not hold up other requests
        effort = await run_in_threadpool(_effort, queue, reviews)
        return render("documents.html", documents=summaries, targets=queue.targets, effort=effort,
                      notes=queue.notes, dataset=str(settings.dataset_dir))

    async def review_page(request: Request) -> Response:
        params = request.query_params
        doc = params.get("doc") or None
        if doc is not None and doc not in queue.documents:
            return render("error.html", 404, message="no such document in this dataset")
        target = params.get("target") or None
        if target is not None and target not in queue.targets:
            return render("error.html", 404, message="no such target in this dataset")
        status = params.get("status") or None
        flag = params.get("flag") or None
        qa = params.get("qa") or None
        if qa is not None and qa != "any" and qa not in CHECKS:
            return render("error.html", 404, message="no such QA check")
        order = "document" if params.get("order") == "document" else "worst"
        raw_page = params.get("page", "0")
        page = int(raw_page) if ASCII_NUMBER.fullmatch(raw_page) else 0
        reviews, decisions = store.reviews(), store.qa_decisions()
        selected = await run_in_threadpool(queue.select, reviews, doc=doc, target=target, flag=flag, status=status,
                                           order=order, qa=qa, decisions=decisions)
        pages = max(1, -(-len(selected) // PAGE_SIZE))
        page = min(page, pages - 1)
        rows = [item_view(item, reviews, decisions) for item in selected[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
        flags = sorted({f for item in queue.items for f in item.flags})

        def page_url(number: int) -> str:
            from urllib.parse import urlencode

            kept = {"doc": doc, "target": target, "status": status, "flag": flag, "qa": qa, "order": order,
                    "page": number}
            return "/review?" + urlencode({k: v for k, v in kept.items() if v not in (None, "")})

        return render("review.html", rows=rows, total=len(selected), page=page, pages=pages, page_url=page_url,
                      filters={"doc": doc or "", "target": target or "", "status": status or "", "flag": flag or "",
                               "qa": qa or "", "order": order},
                      documents=sorted(queue.documents), targets=queue.targets, statuses=STATUSES, flags=flags,
                      checks=list(CHECKS), qa_checked=queue.qa_checked, qa_total=len(queue.items),
                      doc_effort=await run_in_threadpool(_effort, queue, reviews, doc) if doc else None)

    async def act(request: Request) -> Response:
        try:
            body = parse(ReviewAction, await request.body())
        except BadRequest as err:
            return JSONResponse({"error": str(err), "field": err.field}, status_code=400)
        key = (body.segment_id, body.target)
        item = queue.by_key.get(key)
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        longest = max_post_edit_chars(item.source)
        if body.action == "edit" and body.text is not None and len(body.text) > longest:
            return JSONResponse({"error": f"text: a post-edit of this segment holds at most {longest} characters "
                                          f"({POST_EDIT_FACTOR} times its source, at most {MAX_POST_EDIT_CHARS})",
                                 "field": "text"}, status_code=400)
        try:
            # In a worker thread: the write waits for its fsync without holding up the server's other requests.
            review = await run_in_threadpool(
                store.act, *key, body.action, machine_translation=item.translation, reviewer=settings.reviewer,
                text=body.text, reason=body.reason, expected_version=body.version,
                seconds=min(body.seconds, MAX_SECONDS))
        except ReviewConflict as conflict:
            return JSONResponse({"error": str(conflict), "log_version": store.log_version(settings.reviewer),
                                 "conflict": {"current": _review_json(conflict.current, item),
                                              "attempted": conflict.attempted}}, status_code=409)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        if review.final_text:  # what the reviewer stands behind joins the translation memory
            kind = POST_EDIT if review.status == EDITED else ACCEPTED_TRANSLATION
            await run_in_threadpool(memory.add, [Pair(item.segment_id, item.source, review.final_text,
                                                      item.source_lang, item.target, kind)])
        return JSONResponse({**_review_json(review, item), "log_version": store.log_version(settings.reviewer)})

    async def decide_qa(request: Request) -> Response:
        try:
            body = parse(QaDecision, await request.body())
        except BadRequest as err:
            return JSONResponse({"error": str(err), "field": err.field}, status_code=400)
        item = queue.by_key.get((body.segment_id, body.target))
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        text = current_text(item, store.reviews())
        if not any(f.check == body.check for f in queue.qa_findings(item, text)):
            return JSONResponse({"error": f"no {body.check} finding in this translation as it is now"},
                                status_code=409)
        try:
            decided = await run_in_threadpool(store.decide_qa, item.segment_id, item.target, body.check, text,
                                              body.decision, settings.reviewer, body.reason)
        except ValueError as err:
            return JSONResponse({"error": str(err), "field": "reason"}, status_code=400)
        return JSONResponse(decided)

    async def memory_matches(request: Request) -> Response:
        item = queue.by_key.get((request.query_params.get("segment_id", ""), request.query_params.get("target", "")))
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        matches = await run_in_threadpool(memory.lookup, item.source, item.source_lang, item.target)
        # the segment's own reviewed text is no suggestion for itself
        own = current_text(item, store.reviews())
        return JSONResponse({
            "matches": [m.to_dict() for m in matches if not (m.source == item.source.strip() and m.target == own)],
            "glossary": [h.to_dict() for h in queue.glossary_hits(item, store.reviews())]})

    async def concordance(request: Request) -> Response:
        params = request.query_params
        phrase, lang, side = params.get("q", ""), params.get("lang", ""), params.get("side", "source")
        if not phrase.strip() or len(phrase) > MAX_QUERY_CHARS:
            return JSONResponse({"error": f"q: give 1 to {MAX_QUERY_CHARS} characters", "field": "q"}, status_code=400)
        if side not in ("source", "target"):
            return JSONResponse({"error": "side: source or target", "field": "side"}, status_code=400)
        known = {i.source_lang for i in queue.items} | set(queue.targets)
        if lang not in known:
            return JSONResponse({"error": "lang: a language of this dataset", "field": "lang"}, status_code=400)
        hits = await run_in_threadpool(memory.concordance, phrase, lang, side=side, limit=20)
        return JSONResponse({"hits": [h.to_dict() for h in hits]})

    async def undo_redo(request: Request) -> Response:
        try:
            body = parse(ReviewStep, await request.body())
        except BadRequest as err:
            return JSONResponse({"error": str(err), "field": err.field}, status_code=400)
        operation = store.undo if request.url.path.endswith("/undo") else store.redo
        try:
            review = await run_in_threadpool(operation, settings.reviewer, body.version)
        except LogMovedOn as err:
            return JSONResponse({"error": str(err), "log_version": store.log_version(settings.reviewer)},
                                status_code=409)
        except UndoConflict as conflict:  # someone acted on the segment since: their work stays, shown to this tab
            return JSONResponse({"error": str(conflict), "log_version": store.log_version(settings.reviewer),
                                 "current": _review_json(conflict.current, queue.by_key.get(
                                     (conflict.current.segment_id, conflict.current.target)))}, status_code=409)
        log_version = store.log_version(settings.reviewer)
        if review is None:
            return JSONResponse({"review": None, "log_version": log_version})
        return JSONResponse({"review": _review_json(review, queue.by_key.get((review.segment_id, review.target))),
                             "log_version": log_version})

    async def rejected_edits(request: Request) -> Response:
        item = queue.by_key.get((request.query_params.get("segment_id", ""), request.query_params.get("target", "")))
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        return JSONResponse({"rejected": store.rejected_concurrent_edits(item.segment_id, item.target)})

    async def item_state(request: Request) -> Response:
        item = queue.by_key.get((request.query_params.get("segment_id", ""), request.query_params.get("target", "")))
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        review = store.review(item.segment_id, item.target)
        return JSONResponse(_review_json(review, item) if review else {"status": "unreviewed", "version": 0})

    editor_lock = threading.Lock()

    def alignment_editor() -> AlignmentEditor:
        """The alignment editor, made on first use (loading the sentence encoder takes a moment)."""
        with editor_lock:
            if getattr(app.state, "alignment_editor", None) is None:
                from seedmt.align.embed import load_embedder

                app.state.alignment_editor = AlignmentEditor(
                    AlignmentStore(alignment_store_path(settings.dataset_dir)),
                    settings.embedder if not isinstance(settings.embedder, str) else load_embedder(settings.embedder),
                    settings.reviewer, settings.saved_references_dir or settings.references_dir)
            return app.state.alignment_editor

    app = Starlette(routes=[
        Route("/", documents),
        Route("/review", review_page),
        Route("/api/act", act, methods=["POST"]),
        Route("/api/undo", undo_redo, methods=["POST"]),
        Route("/api/redo", undo_redo, methods=["POST"]),
        Route("/api/item", item_state),
        Route("/api/rejected-edits", rejected_edits),
        Route("/api/qa", decide_qa, methods=["POST"]),
        Route("/api/tm", memory_matches),
        Route("/api/concordance", concordance),
        *alignment_routes(alignment_editor, render, settings.saved_references_dir or settings.references_dir),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ])
    app.add_middleware(Guard, settings=settings)
    app.state.store, app.state.queue, app.state.alignment_editor, app.state.memory = store, queue, None, memory
    return app


MAX_SECONDS = 3600.0  # a tab left open overnight is not an hour of effort


def marked_pieces(text: str, spans: list) -> list[tuple[str, list]]:
    """`text` cut at the QA spans: (piece, findings covering it) in order, for the template to underline."""
    cuts = sorted({0, len(text), *(p for (start, end), _ in spans for p in (start, end) if 0 <= p <= len(text))})
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        covering = [f for (s, e), f in spans if s <= start and end <= e and s < e]
        pieces.append((text[start:end], covering))
    return pieces


def _review_json(review: Review, item: Item | None) -> dict:
    data = asdict(review)
    if item is not None and review.status == EDITED and review.post_edit:
        data["diff"] = diff(item.translation, review.post_edit, item.target)
        data["hter"] = hter(item.translation, review.post_edit, item.target)
    return data


def _effort(queue: ReviewQueue, reviews: dict, doc: str | None = None) -> dict:
    """Post-editing effort: mean HTER over edited items, time spent, counts per status."""
    scores, seconds, counts = [], 0.0, {s: 0 for s in STATUSES}
    for item in queue.items:
        if doc is not None and item.doc_id != doc:
            continue
        status = status_of(item, reviews)
        counts[status] += 1
        review = reviews.get((item.segment_id, item.target))
        if status != "unreviewed":
            seconds += review.seconds
        if status == EDITED:
            scores.append(hter(item.translation, review.post_edit, item.target))
    return {"counts": counts, "mean_hter": round(sum(scores) / len(scores), 2) if scores else None,
            "seconds": round(seconds, 1)}


class Guard:
    """Every request passes here: Host check, access token, CSRF and origin check, the body's size limit
    (`seedmt.review.schemas.BODY_LIMITS`: Content-Length checked first, a chunked body counted while it streams in,
    413 before the route sees a byte), security headers."""

    def __init__(self, app, settings: ReviewSettings) -> None:
        self.app, self.settings = app, settings
        self.hosts = settings.allowed_hosts()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        problem, set_cookie = self._check(request)
        if problem:
            await _plain(problem, 403)(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _plain(_too_large(limit), 413, close=True)(scope, receive, send)
            return
        body, more = [], True
        size = 0
        while more:  # read the body here, up to the limit: the route then gets it whole, or not at all
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size > limit:
                await _plain(_too_large(limit), 413, close=True)(scope, receive, send)
                return
            body.append(message.get("body", b""))
            more = message.get("more_body", False)
        replay = [{"type": "http.request", "body": b"".join(body), "more_body": False}]

        async def receive_buffered():
            return replay.pop() if replay else await receive()

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]
                if set_cookie:
                    headers.append((b"set-cookie", f"{COOKIE}={self.settings.token}; HttpOnly; SameSite=Strict; "
                                                   "Path=/".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive_buffered, send_with_headers)

    def _check(self, request: Request) -> tuple[str | None, bool]:
        host = request.headers.get("host", "").lower()
        if host not in self.hosts:
            return "unexpected Host header (this server answers only to its own address; see --public-url)", False
        token = self.settings.token
        from_url = request.query_params.get("token", "")
        from_cookie = request.cookies.get(COOKIE, "")
        if not (hmac.compare_digest(from_url.encode(), token.encode()) or
                hmac.compare_digest(from_cookie.encode(), token.encode())):
            return "missing or wrong access token: open the URL `seedmt review` printed", False
        if request.method not in ("GET", "HEAD"):
            if not hmac.compare_digest(request.headers.get("x-csrf-token", "").encode(), self.settings.csrf.encode()):
                return "missing or wrong CSRF token", False
            origin = request.headers.get("origin") or _origin_of(request.headers.get("referer", ""))
            if origin.lower() not in self.settings.allowed_origins(host):
                return "cross-origin request refused", False
        return None, bool(from_url) and from_cookie != token


def _too_large(limit: int) -> str:
    return (f"the request is too large: this route takes at most {limit:,} bytes (see `seedmt review --help` for "
            "the limits)" if limit else "this route takes no request body")


def _plain(text: str, status: int, *, close: bool = False) -> Response:
    headers = dict(_SECURITY_HEADERS)
    if close:
        headers["Connection"] = "close"  # the rest of an over-long body is never read
    return Response(text, status_code=status, media_type="text/plain", headers=headers)


def _origin_of(url: str) -> str:
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


_SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                     "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def close_app(app: Starlette) -> None:
    """Close the stores the app opened (review store, translation memory, alignment sessions)."""
    app.state.store.close()
    app.state.memory.close()
    if app.state.alignment_editor is not None:
        app.state.alignment_editor.store.close()


def serve(settings: ReviewSettings, app: Starlette | None = None, *, open_browser: bool = False, ready=None) -> None:
    """Run the app on uvicorn until interrupted; `ready(url)` is called once it listens."""
    import uvicorn

    app = app or create_app(settings)
    try:
        listening = _listen(settings.host, settings.port)
    except SeedMTError:
        close_app(app)
        raise
    # timeout_graceful_shutdown: a stop is not held up by a client that never finishes sending its request
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    url = settings.url()

    async def announce() -> None:
        while not server.started:
            await _sleep(0.05)
        if ready is not None:
            ready(url)
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    import asyncio

    async def main() -> None:
        await asyncio.gather(server.serve(sockets=[listening]), announce())

    import signal

    # uvicorn stops gracefully on SIGTERM, then raises the signal again: a stop asked for is a normal stop
    # (the stores are closed and the command exits 0), as Ctrl+C is.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        asyncio.run(main())
    finally:
        listening.close()
        close_app(app)
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _listen(host: str, port: int):
    """The listening socket, bound here so that a port in use is one clear error (uvicorn would print an
    asyncio traceback)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host.strip("[]"), port))
    except OSError as err:
        listening.close()
        raise SeedMTError(f"cannot listen on {host_for_url(host)}:{port}: {err.strerror or err} (another program "
                          "holds the port? pick another with --port)") from None
    listening.listen(2048)
    listening.set_inheritable(True)
    return listening


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
