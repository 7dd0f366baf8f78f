"""The alignment editor's pages and API inside `seedmt review` (same security as the rest of the app: the Guard
middleware checks token, Host, CSRF and origin; texts reach the page only through textContent)."""
from __future__ import annotations

import json
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from seedmt.core.errors import SeedMTError
from seedmt.review.alignments import AlignmentEditor, AlignmentStoreError, StaleVersion

MAX_UPLOAD_CHARS = 20_000_000  # a text of this size is a corpus, not a document pair to correct by hand


def importable_references(references_dir: Path | None) -> list[dict]:
    """`references import` results whose seed and translation files are still where they were."""
    if references_dir is None or not Path(references_dir).is_dir():
        return []
    found = []
    for provenance_path in sorted(Path(references_dir).glob("*/*.provenance.json")):
        try:
            provenance = json.loads(provenance_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(provenance, dict) or "aligner" not in provenance:
            continue
        seed, translation = provenance.get("seed_file"), provenance.get("translation_file")
        if seed and translation and Path(seed).is_file() and Path(translation).is_file():
            found.append({"doc_id": provenance.get("doc_id"), "target": provenance.get("target"),
                          "made_by": provenance.get("made_by"), "translation_file": translation})
    return found


def alignment_routes(editor_factory, render, references_dir: Path | None) -> list[Route]:
    """`editor_factory()` gives the AlignmentEditor (the embedder loads on first use); `render` renders a
    template."""

    async def editor() -> AlignmentEditor:
        return await run_in_threadpool(editor_factory)

    def problem(err: Exception) -> JSONResponse:
        status = 409 if isinstance(err, StaleVersion) else 404 if isinstance(err, AlignmentStoreError) and \
            str(err).startswith("no alignment session") else 400
        return JSONResponse({"error": str(err)}, status_code=status)

    async def body_of(request: Request) -> dict:
        raw = await request.body()
        if len(raw) > 4 * MAX_UPLOAD_CHARS:
            raise SeedMTError("the request is too large")
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    async def sessions_page(request: Request) -> Response:
        the_editor = await editor()
        return render("alignments.html", sessions=the_editor.store.sessions(),
                      imports=importable_references(references_dir))

    async def editor_page(request: Request) -> Response:
        the_editor = await editor()
        try:
            session = the_editor.store.session(request.path_params["session_id"])
        except AlignmentStoreError:
            return render("error.html", 404, message="no such alignment session")
        return render("align.html", session=session)

    async def create(request: Request) -> Response:
        try:
            body = await body_of(request)
            the_editor = await editor()
            if body.get("import_doc"):
                match = [x for x in importable_references(references_dir)
                         if x["doc_id"] == body["import_doc"] and x["target"] == body.get("import_target")]
                if not match:
                    return JSONResponse({"error": "no such reference import"}, status_code=404)
                provenance = json.loads((Path(references_dir) / match[0]["target"] /
                                         f"{match[0]['doc_id']}.provenance.json").read_text(encoding="utf-8"))
                session_id = await run_in_threadpool(
                    the_editor.start_from_files, Path(provenance["seed_file"]), Path(provenance["translation_file"]),
                    provenance.get("source_lang"), provenance["target"])
            else:
                texts = [body.get("source_text"), body.get("target_text")]
                if not all(isinstance(t, str) and t.strip() for t in texts):
                    return JSONResponse({"error": "choose a document and its translation"}, status_code=400)
                session_id = await run_in_threadpool(
                    lambda: the_editor.start(
                        texts[0], texts[1], source_name=str(body.get("source_name") or "source.txt"),
                        target_name=str(body.get("target_name") or "translation.txt"),
                        source_lang=body.get("source_lang") or None, target_lang=body.get("target_lang") or None,
                        links_jsonl=body.get("links_text") or None))
        except (SeedMTError, ValueError, KeyError, TypeError) as err:
            return problem(err)
        return JSONResponse({"id": session_id, "url": f"/align/{session_id}"})

    async def state(request: Request) -> Response:
        the_editor = await editor()
        try:
            return JSONResponse(the_editor.store.session(request.path_params["session_id"]).view())
        except SeedMTError as err:
            return problem(err)

    async def operate(request: Request) -> Response:
        session_id = request.path_params["session_id"]
        try:
            body = await body_of(request)
            the_editor = await editor()
            what = request.path_params["what"]
            version = body.get("version")
            version = int(version) if version is not None else None
            if what in ("undo", "redo"):
                session = await run_in_threadpool(the_editor.step, session_id, version, -1 if what == "undo" else 1)
            elif what == "gold":
                session = await run_in_threadpool(the_editor.load_gold, session_id, str(body.get("text", "")))
            elif what == "save":
                out = await run_in_threadpool(lambda: the_editor.save(session_id, force=bool(body.get("force"))))
                return JSONResponse({"saved": str(out), "provenance": str(out.with_suffix(".provenance.json"))})
            elif what == "op":
                session = await run_in_threadpool(
                    the_editor.apply, session_id, version, str(body.get("operation", "")), int(body.get("k", -1)),
                    body.get("side"), body.get("direction"))
            else:
                return JSONResponse({"error": "unknown request"}, status_code=404)
        except (SeedMTError, ValueError, TypeError) as err:
            return problem(err)
        return JSONResponse(session.view())

    async def anchors(request: Request) -> Response:
        the_editor = await editor()
        try:
            text = the_editor.anchors_jsonl(request.path_params["session_id"])
        except SeedMTError as err:
            return problem(err)
        return PlainTextResponse(text, media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="anchors-{request.path_params["session_id"]}.jsonl"'})

    return [
        Route("/align", sessions_page),
        Route("/align/{session_id:int}", editor_page),
        Route("/api/align", create, methods=["POST"]),
        Route("/api/align/{session_id:int}", state),
        Route("/api/align/{session_id:int}/anchors.jsonl", anchors),
        Route("/api/align/{session_id:int}/{what}", operate, methods=["POST"]),
    ]
