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
import json
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

from seedmt.align.embed import DEFAULT_EMBEDDER
from seedmt.align.similarity import LOW_SIMILARITY
from seedmt.core.languages import text_direction
from seedmt.dataset.reviews import (ACTION_STATUS, EDITED, STATUSES, Review, ReviewConflict, ReviewStore, hter,
                                    store_path)
from seedmt.review.alignment_routes import alignment_routes
from seedmt.review.alignments import AlignmentEditor, AlignmentStore
from seedmt.review.alignments import store_path as alignment_store_path
from seedmt.review.diff import diff
from seedmt.review.queue import PAGE_SIZE, Item, ReviewQueue, status_of

HERE = Path(__file__).parent
COOKIE = "seedmt_review_token"
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass
class ReviewSettings:
    dataset_dir: Path
    references_dir: Path | None = None
    reviewer: str = "reviewer"
    host: str = "127.0.0.1"
    port: int = 8765
    saved_references_dir: Path | None = None  # where the alignment editor saves (default: references_dir)
    embedder: object = DEFAULT_EMBEDDER  # the alignment editor's sentence encoder: a built-in name or an Embedder
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def allowed_hosts(self) -> set[str]:
        names = {self.host, "127.0.0.1", "localhost", "[::1]"} if self.host in ("127.0.0.1", "localhost") \
            else {self.host}
        return {f"{name}:{self.port}" for name in names}

    def url(self) -> str:
        return f"http://{self.host}:{self.port}/?token={self.token}"


def direction(code: str) -> str:
    return text_direction(code)


def create_app(settings: ReviewSettings, queue: ReviewQueue | None = None, store: ReviewStore | None = None) -> Starlette:
    queue = queue or ReviewQueue(settings.dataset_dir, settings.references_dir)
    store = store or ReviewStore(store_path(settings.dataset_dir))
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                            lstrip_blocks=True)
    templates.globals.update(direction=direction, LOW_SIMILARITY=LOW_SIMILARITY)

    def render(name: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(csrf=settings.csrf, reviewer=settings.reviewer,
                                                                system=queue.system, **context),
                            status_code=status_code)

    def item_view(item: Item, reviews: dict) -> dict:
        review = reviews.get((item.segment_id, item.target))
        current = review if review is not None and review.machine_translation == item.translation else None
        status = status_of(item, reviews)
        edited = current.post_edit if current is not None and status == EDITED else None
        return {"item": item, "status": status, "version": current.version if current else 0,
                "post_edit": edited, "reason": current.reason if current and status == "rejected" else None,
                "diff": diff(item.translation, edited, item.target) if edited else None,
                "hter": hter(item.translation, edited, item.target) if edited else None,
                "seconds": round(current.seconds, 1) if current else 0.0,
                "source_dir": direction(item.source_lang), "target_dir": direction(item.target)}

    async def documents(request: Request) -> Response:
        reviews = store.reviews()
        summaries = queue.document_summaries(reviews)
        effort = _effort(queue, reviews)
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
        order = "document" if params.get("order") == "document" else "worst"
        try:
            page = max(0, int(params.get("page", "0")))
        except ValueError:
            page = 0
        reviews = store.reviews()
        selected = queue.select(reviews, doc=doc, target=target, flag=flag, status=status, order=order)
        rows = [item_view(item, reviews) for item in selected[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
        pages = max(1, -(-len(selected) // PAGE_SIZE))
        flags = sorted({f for item in queue.items for f in item.flags})
        return render("review.html", rows=rows, total=len(selected), page=page, pages=pages,
                      filters={"doc": doc or "", "target": target or "", "status": status or "", "flag": flag or "",
                               "order": order},
                      documents=sorted(queue.documents), targets=queue.targets, statuses=STATUSES, flags=flags,
                      doc_effort=_effort(queue, reviews, doc) if doc else None)

    async def act(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            key = (str(body["segment_id"]), str(body["target"]))
            action = str(body["action"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "expected JSON with segment_id, target and action"}, status_code=400)
        item = queue.by_key.get(key)
        if item is None:
            return JSONResponse({"error": "no such segment and target in this dataset"}, status_code=404)
        if action not in ACTION_STATUS:
            return JSONResponse({"error": f"unknown action; one of {', '.join(ACTION_STATUS)}"}, status_code=400)
        try:
            # In a worker thread: the write waits for its fsync without holding up the server's other requests.
            review = await run_in_threadpool(
                store.act, *key, action, machine_translation=item.translation, reviewer=settings.reviewer,
                text=body.get("text"), reason=body.get("reason"), expected_version=_int_or_none(body.get("version")),
                seconds=_seconds(body.get("seconds")))
        except ReviewConflict as conflict:
            return JSONResponse({"error": str(conflict), "conflict": {
                "current": _review_json(conflict.current, item), "attempted": conflict.attempted}}, status_code=409)
        except ValueError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        return JSONResponse(_review_json(review, item))

    async def undo_redo(request: Request) -> Response:
        operation = store.undo if request.url.path.endswith("/undo") else store.redo
        review = await run_in_threadpool(operation, settings.reviewer)
        if review is None:
            return JSONResponse({"review": None})
        return JSONResponse({"review": _review_json(review, queue.by_key.get((review.segment_id, review.target)))})

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
        *alignment_routes(alignment_editor, render, settings.saved_references_dir or settings.references_dir),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ])
    app.add_middleware(Guard, settings=settings)
    app.state.store, app.state.queue, app.state.alignment_editor = store, queue, None
    return app


def _int_or_none(value) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _seconds(value) -> float:
    try:
        return min(max(float(value), 0.0), 3600.0)  # a tab left open overnight is not an hour of effort
    except (TypeError, ValueError):
        return 0.0


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
    """Host check, access token, CSRF and origin check, security headers: every request passes here."""

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
            refusal = Response(problem, status_code=403, media_type="text/plain", headers=_SECURITY_HEADERS)
            await refusal(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in _SECURITY_HEADERS.items()]
                if set_cookie:
                    headers.append((b"set-cookie", f"{COOKIE}={self.settings.token}; HttpOnly; SameSite=Strict; "
                                                   "Path=/".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _check(self, request: Request) -> tuple[str | None, bool]:
        host = request.headers.get("host", "")
        if host not in self.hosts:
            return "unexpected Host header (this server answers only to its own address)", False
        token = self.settings.token
        from_url = request.query_params.get("token", "")
        from_cookie = request.cookies.get(COOKIE, "")
        if not (hmac.compare_digest(from_url, token) or hmac.compare_digest(from_cookie, token)):
            return "missing or wrong access token: open the URL `seedmt review` printed", False
        if request.method not in ("GET", "HEAD"):
            if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), self.settings.csrf):
                return "missing or wrong CSRF token", False
            origin = request.headers.get("origin") or _origin_of(request.headers.get("referer", ""))
            if origin != f"http://{host}":
                return "cross-origin request refused", False
        return None, bool(from_url) and from_cookie != token


def _origin_of(url: str) -> str:
    parts = url.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 else ""


_SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                     "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def serve(settings: ReviewSettings, app: Starlette | None = None, *, open_browser: bool = False, ready=None) -> None:
    """Run the app on uvicorn until interrupted; `ready(url)` is called once it listens."""
    import uvicorn

    app = app or create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
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
        await asyncio.gather(server.serve(), announce())

    asyncio.run(main())
    app.state.store.close()
    if app.state.alignment_editor is not None:
        app.state.alignment_editor.store.close()


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
