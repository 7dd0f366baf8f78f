"""`seedmt humaneval annotate`: the review app's annotation pages for a human evaluation campaign
(`seedmt.dataset.campaigns`), with the review app's guarantees: the same Guard (Host check, access token, CSRF and
origin, body limits, security headers), texts written as text, every judgement one transaction before it is
acknowledged.

Blind: nothing an annotator's browser receives names a system or its folder, or tells a quality-control item from
another. The page gets, per item, the source with its context and the translations in the order the campaign
shuffled them; the server keeps which system each position holds."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from seedmt.core.languages import text_direction, written_without_spaces
from seedmt.dataset.campaigns import (MQM_CATEGORIES, CampaignError, CampaignStore, Span, StaleJudgement,
                                      TranslationJudgement)
from seedmt.eval.humaneval import judgements_json
from seedmt.review.app import ASCII_NUMBER, HERE, MAX_SECONDS, Guard, ReviewSettings
from seedmt.review.schemas import BadRequest, Judgement, parse


def create_annotation_app(settings: ReviewSettings, campaign: Path, annotator: str) -> Starlette:
    store = CampaignStore(campaign)
    annotators = store.annotators()
    if annotator not in annotators:
        store.close()
        raise CampaignError(f"{campaign}: no annotator '{annotator}' in this campaign (annotators: "
                            f"{', '.join(annotators)})")
    queue = store.queue(annotator)
    if not queue:
        store.close()
        raise CampaignError(f"{campaign}: {annotator}'s queue is empty (the campaign has fewer items than "
                            "annotators)")
    protocol, target = store.protocol, store.target
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)

    async def page(request: Request) -> Response:
        html = templates.get_template("annotate.html").render(
            csrf=settings.csrf, annotator=annotator, protocol=protocol, target=target, total=len(queue),
            categories=MQM_CATEGORIES if protocol == "mqm" else ())
        return HTMLResponse(html)

    def item_json(position: int) -> dict:
        # An item is named by its position in this annotator's queue, never by its id: ids would tell a
        # quality-control copy (numbered after every regular item) from the rest.
        item = store.item(queue[position])
        judged = store.judgement(annotator, item.id)
        return {"position": position, "total": len(queue), "judged": store.judged_count(annotator),
                "protocol": protocol, "spaced": not written_without_spaces(target), "offsets": "code points",
                "item": {"source": item.source, "before": item.before, "after": item.after,
                         "translations": item.translations, "source_dir": text_direction(item.source_lang),
                         "target_dir": text_direction(target)},
                "judgement": judgements_json(judged), "version": judged.version if judged else 0}

    async def current(request: Request) -> Response:
        raw = request.query_params.get("position")
        if raw is None:
            following = store.next_item(annotator)
            position = queue.index(following) if following is not None else max(0, len(queue) - 1)
        elif ASCII_NUMBER.fullmatch(raw) and int(raw) < len(queue):
            position = int(raw)
        else:
            return JSONResponse({"error": f"position: a number from 0 to {len(queue) - 1}", "field": "position"},
                                status_code=400)
        finished = store.next_item(annotator) is None
        return JSONResponse({**item_json(position), "finished": finished})

    async def judge(request: Request) -> Response:
        try:
            body = parse(Judgement, await request.body())
        except BadRequest as err:
            return JSONResponse({"error": str(err), "field": err.field}, status_code=400)
        marks = [TranslationJudgement(tuple(Span(s.start, s.end, s.severity, s.category) for s in t.spans), t.score)
                 for t in body.translations]
        if body.position >= len(queue):
            return JSONResponse({"error": f"position: a number from 0 to {len(queue) - 1}", "field": "position"},
                                status_code=400)
        try:
            saved = await run_in_threadpool(store.judge, annotator, queue[body.position], marks,
                                            seconds=min(body.seconds, MAX_SECONDS), expected_version=body.version)
        except StaleJudgement as err:
            return JSONResponse({"error": str(err)}, status_code=409)
        except CampaignError as err:
            return JSONResponse({"error": str(err)}, status_code=400)
        following = store.next_item(annotator)
        return JSONResponse({"version": saved.version, "next": queue.index(following) if following is not None
                             else None})

    app = Starlette(routes=[
        Route("/", page),
        Route("/api/campaign/item", current),
        Route("/api/campaign/judge", judge, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ])
    app.add_middleware(Guard, settings=settings)
    app.state.store, app.state.alignment_editor = store, None
    return app
