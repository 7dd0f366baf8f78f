"""The alignment editor's pages and API inside `seedmt review` (same security as the rest of the app: the Guard
middleware checks token, Host, CSRF and origin; texts reach the page only through textContent)."""
from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from seedmt.core.errors import SeedMTError
from seedmt.eval.references import IMPORTED, REFERENCE_SUFFIX, provenance_path, read_provenance
from seedmt.review.alignments import AlignmentEditor, AlignmentStoreError, StaleVersion
from seedmt.review.schemas import (AlignmentGold, AlignmentOperation, AlignmentStep, BadRequest, NewAlignment,
                                   parse)


class SessionIdConvertor(Convertor):
    """A session id in a path: ASCII digits that fit SQLite's integers (Starlette's `int` would take a number
    of any length and fail on it)."""
    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("session", SessionIdConvertor())


def _session_id(request: Request) -> int:
    return request.path_params["session_id"]


def _inside(folder: Path, relative: object) -> Path | None:
    """`folder / relative` when it is a file that stays inside `folder` once links are resolved, else None."""
    if not isinstance(relative, str) or not relative or Path(relative).is_absolute():
        return None
    root = folder.resolve()
    path = (folder / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def importable_references(references_dir: Path | None) -> list[dict]:
    """`references import` results whose copies of the seed and translation (kept beside the reference) are
    there. Only files inside the references folder are ever offered or opened: a provenance file names other
    paths for the record, and those are never read."""
    if references_dir is None or not Path(references_dir).is_dir():
        return []
    root = Path(references_dir).resolve()
    found = []
    for reference in sorted(root.glob(f"*/*{REFERENCE_SUFFIX}")):
        if not all(path.resolve().is_relative_to(root) for path in (reference, provenance_path(reference))):
            continue
        provenance = read_provenance(reference)
        if provenance is None or provenance.made_by != IMPORTED:
            continue
        folder, details = reference.parent, provenance.details
        seed, translation = _inside(folder, details.get("seed_copy")), _inside(folder, details.get("translation_copy"))
        translation_file = next((i.get("path") for i in provenance.inputs if i.get("role") == "translation"),
                                details.get("translation_file", ""))
        if seed and translation and provenance.target == folder.name and provenance.doc_id == reference.stem and \
                seed.stem == provenance.doc_id:
            found.append({"doc_id": provenance.doc_id, "target": provenance.target, "made_by": IMPORTED,
                          "translation_file": str(translation_file), "source_lang": details.get("source_lang"),
                          "seed": seed, "translation": translation})
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

    def bad_request(err: BadRequest) -> JSONResponse:
        return JSONResponse({"error": str(err), "field": err.field}, status_code=400)

    async def sessions_page(request: Request) -> Response:
        the_editor = await editor()
        return render("alignments.html", sessions=the_editor.store.sessions(),
                      imports=importable_references(references_dir))

    async def editor_page(request: Request) -> Response:
        the_editor = await editor()
        try:
            session = the_editor.store.session(_session_id(request))
        except AlignmentStoreError:
            return render("error.html", 404, message="no such alignment session")
        return render("align.html", session=session)

    async def create(request: Request) -> Response:
        try:
            body = parse(NewAlignment, await request.body())
            the_editor = await editor()
            if body.import_doc:
                match = [x for x in importable_references(references_dir)
                         if x["doc_id"] == body.import_doc and x["target"] == body.import_target]
                if not match:
                    return JSONResponse({"error": "no such reference import"}, status_code=404)
                found = match[0]
                session_id = await run_in_threadpool(
                    the_editor.start_from_files, found["seed"], found["translation"], found["source_lang"],
                    found["target"])
            else:
                texts = [body.source_text, body.target_text]
                if not all(isinstance(t, str) and t.strip() for t in texts):
                    return JSONResponse({"error": "choose a document and its translation"}, status_code=400)
                session_id = await run_in_threadpool(
                    lambda: the_editor.start(
                        texts[0], texts[1], source_name=body.source_name or "source.txt",
                        target_name=body.target_name or "translation.txt", source_lang=body.source_lang or None,
                        target_lang=body.target_lang or None, links_jsonl=body.links_text or None))
        except BadRequest as err:
            return bad_request(err)
        except SeedMTError as err:
            return problem(err)
        return JSONResponse({"id": session_id, "url": f"/align/{session_id}"})

    async def state(request: Request) -> Response:
        the_editor = await editor()
        try:
            return JSONResponse(the_editor.store.session(_session_id(request)).view())
        except SeedMTError as err:
            return problem(err)

    async def operate(request: Request) -> Response:
        session_id = _session_id(request)
        what = request.path_params["what"]
        try:
            raw = await request.body()
            the_editor = await editor()
            if what in ("undo", "redo"):
                step = parse(AlignmentStep, raw)
                session = await run_in_threadpool(the_editor.step, session_id, step.version,
                                                  -1 if what == "undo" else 1)
            elif what == "gold":
                gold = parse(AlignmentGold, raw)
                session = await run_in_threadpool(the_editor.load_gold, session_id, gold.version, gold.text)
            elif what == "save":
                step = parse(AlignmentStep, raw)
                out = await run_in_threadpool(
                    lambda: the_editor.save(session_id, force=step.force, version=step.version))
                return JSONResponse({"saved": str(out), "provenance": str(provenance_path(out))})
            elif what == "op":
                op = parse(AlignmentOperation, raw)
                session = await run_in_threadpool(
                    the_editor.apply, session_id, op.version, op.operation, op.k, op.side, op.direction)
            else:
                return JSONResponse({"error": "unknown request"}, status_code=404)
        except BadRequest as err:
            return bad_request(err)
        except SeedMTError as err:
            return problem(err)
        return JSONResponse(session.view())

    async def anchors(request: Request) -> Response:
        the_editor = await editor()
        try:
            text = the_editor.anchors_jsonl(_session_id(request))
        except SeedMTError as err:
            return problem(err)
        return PlainTextResponse(text, media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="anchors-{_session_id(request)}.jsonl"'})

    return [
        Route("/align", sessions_page),
        Route("/align/{session_id:session}", editor_page),
        Route("/api/align", create, methods=["POST"]),
        Route("/api/align/{session_id:session}", state),
        Route("/api/align/{session_id:session}/anchors.jsonl", anchors),
        Route("/api/align/{session_id:session}/{what}", operate, methods=["POST"]),
    ]
