"""Human evaluation: campaigns (sampling, blind shuffled items, queues, quality control), judgements through the
annotation app (blind, guarded, durable), and the scoring against hand computations, the published MQM
definition, `krippendorff.alpha` and `scipy.stats.kendalltau`."""
from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seedmt.cli import EXIT_OK, main
from seedmt.dataset.campaigns import (QUALITY_CONTROL, REGULAR, CampaignError, CampaignStore, Span,
                                      TranslationJudgement, create_campaign, degrade)
from seedmt.eval.humaneval import (agreement, campaign_report, export_mqm_tsv, mqm_weight, score_mqm_tsv)
from tests.helpers import REFERENCES, perturb, reference_texts, rewrite_translations

SYSTEM_NAMES = ("alpha-nllb-600M", "beta-nllb-1.3B", "gamma-nllb-3.3B")


@pytest.fixture(scope="module")
def systems(translated_dir, tmp_path_factory) -> list[tuple[str, Path]]:
    """Three systems of the five seeds: the references themselves, a perturbed copy, and a broken one."""
    refs = reference_texts()
    root = tmp_path_factory.mktemp("checkpoints")
    good = rewrite_translations(translated_dir, root / SYSTEM_NAMES[0], lambda s, t: refs.get((s, t), "a boilerplate line of the page"))
    noisy = rewrite_translations(translated_dir, root / SYSTEM_NAMES[1],
                                 lambda s, t: perturb(refs[(s, t)], t) if (s, t) in refs else "not referenced at all here")
    broken = rewrite_translations(translated_dir, root / SYSTEM_NAMES[2], lambda s, t: "the the the")
    return [(path.name, path) for path in (good, noisy, broken)]


def campaign(tmp_path, systems, protocol="esa", **options) -> Path:
    path = tmp_path / f"{protocol}.campaign.sqlite"
    settings = {"items": 40, "annotators": ["ana", "ben", "cy"], **options}
    create_campaign(path, systems, protocol=protocol, **settings).close()
    return path


def test_a_campaign_is_sampled_reproducibly_blind_and_shuffled_with_shared_and_check_items(systems, tmp_path):
    path = campaign(tmp_path, systems, overlap=0.25, quality_control=0.1)
    (tmp_path / "again").mkdir()
    again = campaign(tmp_path / "again", systems, overlap=0.25, quality_control=0.1)
    store, other = CampaignStore(path), CampaignStore(again)
    try:
        items = store.items()
        assert [(i.segment_id, i.systems, i.translations) for i in items] == \
            [(i.segment_id, i.systems, i.translations) for i in other.items()]
        assert {a: store.queue(a) for a in store.annotators()} == {a: other.queue(a) for a in other.annotators()}
        regular = [i for i in items if i.kind == REGULAR]
        assert len(regular) == 40 and len({i.segment_id for i in regular}) == 40
        # stratified: every seed contributes, roughly in proportion to its segments
        assert len({i.doc_id for i in regular}) == 5
        # every item holds each system once, in an order shuffled per item
        assert all(sorted(i.systems) == sorted(SYSTEM_NAMES) for i in items)
        assert len({tuple(i.systems) for i in regular}) > 3
        queues = {a: store.queue(a) for a in store.annotators()}
        counts = {i.id: sum(i.id in q for q in queues.values()) for i in regular}
        assert sum(c == 2 for c in counts.values()) == 10 and all(c in (1, 2) for c in counts.values())
        checks = [i for i in items if i.kind == QUALITY_CONTROL]
        assert checks
        by_id = {i.id: i for i in items}
        for check in checks:
            original = by_id[check.original]
            owner = next(a for a, q in queues.items() if check.id in q)
            assert q_index(queues[owner], check.id) > q_index(queues[owner], original.id)  # later, same queue
            differing = [p for p in range(3) if check.translations[p] != original.translations[p]]
            assert differing == [check.degraded_position] and check.systems == original.systems
    finally:
        store.close()
        other.close()


def q_index(queue: list[int], item_id: int) -> int:
    return queue.index(item_id)


def test_whole_documents_and_bad_settings(systems, tmp_path):
    path = campaign(tmp_path, systems, unit="documents", items=30, annotators=["ana"], quality_control=0)
    store = CampaignStore(path)
    try:
        docs = [i.doc_id for i in store.items()]
        assert docs == sorted(docs, key=docs.index) and len(docs) == 30  # documents in blocks
        counts = {d: docs.count(d) for d in set(docs)}
        assert sum(n < max(counts.values()) for n in counts.values()) <= 1 or len(counts) <= 2
    finally:
        store.close()
    with pytest.raises(CampaignError, match="exists"):
        campaign(tmp_path, systems, unit="documents", items=30, annotators=["ana"])
    with pytest.raises(CampaignError, match="at least two systems"):
        create_campaign(tmp_path / "one.sqlite", systems[:1], protocol="esa", items=5, annotators=["ana"])
    with pytest.raises(CampaignError, match="unknown protocol"):
        create_campaign(tmp_path / "x.sqlite", systems, protocol="rank", items=5, annotators=["ana"])
    assert not (tmp_path / "x.sqlite").exists()


def test_degraded_translations_differ_and_keep_their_length_roughly():
    rng = random.Random(0)
    text = "The committee met on Tuesday and discussed the budget for next year."
    degraded = degrade(text, "Prices of bread rose sharply in the city last month.", rng, "eng_Latn")
    assert degraded != text and abs(len(degraded.split()) - len(text.split())) <= 1
    chinese = degrade("委员会周二开会讨论了明年的预算。", "城市面包价格上个月大幅上涨。", rng, "zho_Hans")
    assert chinese != "委员会周二开会讨论了明年的预算。" and len(chinese) == len("委员会周二开会讨论了明年的预算。")


def judge_all(path: Path, rule) -> None:
    """Every annotator judges their whole queue; `rule(item, position, system)` gives (spans, score)."""
    store = CampaignStore(path)
    try:
        for annotator in store.annotators():
            while (item_id := store.next_item(annotator)) is not None:
                item = store.item(item_id)
                marks = [TranslationJudgement(*rule(annotator, item, p, s)) for p, s in enumerate(item.systems)]
                store.judge(annotator, item_id, marks, seconds=2.0, expected_version=0)
    finally:
        store.close()


def test_mqm_scores_equal_a_hand_computation(systems, tmp_path):
    """Raters disagree (ana marks more than ben), and half the items are rated twice: each item counts once, with
    its raters' mean, in the score, the interval and the tests alike."""
    path = campaign(tmp_path, systems, protocol="mqm", items=12, annotators=["ana", "ben"], overlap=0.5,
                    quality_control=0)
    errors = {"ana": {SYSTEM_NAMES[0]: (), SYSTEM_NAMES[1]: ((0, 1, "minor", "Fluency/Punctuation"),
                                                             (1, 2, "minor", "Accuracy/Mistranslation")),
                      SYSTEM_NAMES[2]: ((0, 2, "major", "Accuracy/Mistranslation"), (3, 6, "major", "Non-translation"))},
              "ben": {SYSTEM_NAMES[0]: (), SYSTEM_NAMES[1]: ((1, 2, "minor", "Accuracy/Mistranslation"),),
                      SYSTEM_NAMES[2]: ((3, 6, "major", "Non-translation"),)}}
    penalty = {"ana": {SYSTEM_NAMES[0]: 0.0, SYSTEM_NAMES[1]: 1.1, SYSTEM_NAMES[2]: 30.0},
               "ben": {SYSTEM_NAMES[0]: 0.0, SYSTEM_NAMES[1]: 1.0, SYSTEM_NAMES[2]: 25.0}}

    def rule(annotator, item, position, system):
        return tuple(Span(*e) for e in errors[annotator][system]), None

    judge_all(path, rule)
    report = campaign_report(path)
    store = CampaignStore(path)
    try:
        items = {i.id: i for i in store.items()}
        raters = {i: [a for a in store.annotators() if i in store.queue(a)] for i in items}
    finally:
        store.close()
    assert sum(len(r) == 2 for r in raters.values()) == 6
    # by hand: per item the mean of its raters' penalties, then the mean over the 12 items
    expected = {s: round(sum(sum(penalty[a][s] for a in r) / len(r) for r in raters.values()) / 12, 4)
                for s in SYSTEM_NAMES}
    assert expected[SYSTEM_NAMES[1]] == round((1.1 * 3 + 1.0 * 3 + 1.05 * 6) / 12, 4)
    assert {s: v["mqm_per_segment"] for s, v in report["systems"].items()} == expected
    words = sum(len(items[i].source.split()) for i in raters)
    hand_sum = sum(sum(penalty[a][SYSTEM_NAMES[1]] for a in r) / len(r) for r in raters.values())
    assert report["systems"][SYSTEM_NAMES[1]]["mqm_per_100_words"] == round(100 * hand_sum / words, 4)
    assert report["systems"][SYSTEM_NAMES[1]]["rated_segments"] == 12
    assert report["systems"][SYSTEM_NAMES[1]]["ratings"] == 18
    assert report["ranking"] == [[SYSTEM_NAMES[0]], [SYSTEM_NAMES[1]], [SYSTEM_NAMES[2]]]
    # the same annotations written as WMT's TSV score the same when read back
    tsv = tmp_path / "mqm.tsv"
    tsv.write_text(export_mqm_tsv(path), encoding="utf-8")
    back = score_mqm_tsv(tsv)["systems"]
    assert {s: v["mqm_per_segment"] for s, v in back.items()} == expected
    header, first = tsv.read_text(encoding="utf-8").splitlines()[:2]
    assert header.split("\t") == ["system", "doc", "doc_id", "seg_id", "rater", "source", "target", "category",
                                  "severity"]
    # a row listed twice in a file counts once
    lines = tsv.read_text(encoding="utf-8").splitlines()
    doubled = tmp_path / "doubled.tsv"
    doubled.write_text("\n".join(lines + [line for line in lines[1:] if "Non-translation" in line]) + "\n",
                       encoding="utf-8")
    assert {s: v["mqm_per_segment"] for s, v in score_mqm_tsv(doubled)["systems"].items()} == expected


def test_an_error_is_marked_once(systems, tmp_path):
    """Overlapping or repeated spans are refused when judged; stored or imported ones count once."""
    from seedmt.eval.humaneval import mqm_penalty

    path = campaign(tmp_path, systems, protocol="mqm", items=4, annotators=["ana"], quality_control=0)
    store = CampaignStore(path)
    try:
        item_id = store.next_item("ana")
        item = store.item(item_id)
        twice = TranslationJudgement((Span(0, 3, "major", "Style"), Span(1, 2, "minor", "Style")))
        marks = [twice] + [TranslationJudgement(()) for _ in item.translations[1:]]
        with pytest.raises(CampaignError, match="overlap"):
            store.judge("ana", item_id, marks, seconds=1.0, expected_version=0)
        same = TranslationJudgement((Span(0, 1, "minor", "Style"), Span(0, 1, "minor", "Style")))
        with pytest.raises(CampaignError, match="overlap"):
            store.judge("ana", item_id, [same] + marks[1:], seconds=1.0, expected_version=0)
        assert store.judgement("ana", item_id) is None
    finally:
        store.close()
    assert mqm_penalty(twice) == 5.0 and mqm_penalty(same) == 1.0
    apart = TranslationJudgement((Span(0, 1, "minor", "Style"), Span(1, 2, "major", "Style")))
    assert mqm_penalty(apart) == 6.0


def test_a_wmt_layout_mqm_file_is_scored_by_the_published_weights(tmp_path, capsys):
    """A small file in the layout of WMT's published MQM annotations: per rated segment, major 5, minor 1, minor
    Fluency/Punctuation 0.1, Non-translation! 25, No-error 0."""
    rows = [
        ("sysA", "doc1", "1", "1", "rater1", "Quelle.", "Sour<v>ce</v>.", "Accuracy/Mistranslation", "Major"),
        ("sysA", "doc1", "1", "1", "rater1", "Quelle.", "Source<v>.</v>", "Fluency/Punctuation", "Minor"),
        ("sysA", "doc1", "2", "2", "rater1", "Zwei.", "Two.", "No-error", "No-error"),
        ("sysA", "doc1", "1", "1", "rater2", "Quelle.", "<v>Source</v>.", "Style/Awkward", "Minor"),
        ("sysB", "doc1", "1", "1", "rater1", "Quelle.", "<v>Quelle.</v>", "Non-translation!", "Major"),
        ("sysB", "doc1", "2", "2", "rater1", "Zwei.", "Tw<v>o</v>.", "Fluency/Spelling", "Minor"),
        ("sysB", "doc1", "2", "2", "rater1", "Zwei.", "Two<v>.</v>", "Fluency/Punctuation", "Minor"),
    ]
    path = tmp_path / "mqm_newstest.tsv"
    path.write_text("system\tdoc\tdoc_id\tseg_id\trater\tsource\ttarget\tcategory\tseverity\n" +
                    "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    # sysA: seg1 rated by rater1 (5.1) and rater2 (1) -> 3.05, seg2 by rater1 (0) -> (3.05 + 0) / 2;
    # sysB: 25 and 1.1 -> 26.1 / 2
    scores = score_mqm_tsv(path)["systems"]
    assert scores["sysA"]["mqm_per_segment"] == round((5.1 + 1) / 2 / 2, 4) and scores["sysA"]["segments"] == 2
    assert scores["sysA"]["ratings"] == 3
    assert scores["sysB"]["mqm_per_segment"] == round(26.1 / 2, 4)
    assert mqm_weight("Neutral", "Other") == 0.0 and mqm_weight("minor", "Fluency/Punctuation") == 0.1
    assert main(["humaneval", "report", "--mqm-tsv", str(path), "--json"]) == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    assert printed["systems"]["sysB"]["mqm_per_segment"] == round(26.1 / 2, 4)


def test_esa_report_agreement_quality_control_and_metric_trust(systems, tmp_path):
    import krippendorff
    from sacrebleu.metrics import CHRF
    from scipy.stats import kendalltau

    path = campaign(tmp_path, systems, protocol="esa", items=30, overlap=0.4, quality_control=0.2)
    base = {SYSTEM_NAMES[0]: 90, SYSTEM_NAMES[1]: 68, SYSTEM_NAMES[2]: 48}  # a check can always score 40 lower
    rng = random.Random(3)
    careless = "cy"  # scores the checks like the originals: the quality control shows it

    def rule(annotator, item, position, system):
        score = base[system] + rng.randint(-8, 8)
        if item.kind == QUALITY_CONTROL and position == item.degraded_position and annotator != careless:
            score -= 40
        spans = (Span(0, 1, "major"),) if system == SYSTEM_NAMES[2] else ()
        return spans, max(0, min(100, score))

    judge_all(path, rule)
    report = campaign_report(path, REFERENCES)
    means = {s: v["esa_mean"] for s, v in report["systems"].items()}
    assert means[SYSTEM_NAMES[0]] > means[SYSTEM_NAMES[1]] > means[SYSTEM_NAMES[2]]
    low, high = report["systems"][SYSTEM_NAMES[0]]["esa_ci95"]
    assert low <= means[SYSTEM_NAMES[0]] <= high
    assert report["ranking"] == [[SYSTEM_NAMES[0]], [SYSTEM_NAMES[1]], [SYSTEM_NAMES[2]]]
    # agreement: the same number as krippendorff.alpha on the matrix rebuilt here from the store
    store = CampaignStore(path)
    try:
        items = {i.id: i for i in store.items()}
        judgements = store.judgements()
        annotators = store.annotators()
    finally:
        store.close()
    shared = sorted({j.item_id for j in judgements if items[j.item_id].kind == REGULAR and
                     sum(k.item_id == j.item_id for k in judgements) >= 2})
    matrix = np.full((3, 3 * len(shared)), np.nan)
    for j in judgements:
        if j.item_id in shared:
            for p, t in enumerate(j.translations):
                matrix[annotators.index(j.annotator), 3 * shared.index(j.item_id) + p] = t.score
    assert report["agreement"]["shared_items"] == len(shared) == 12
    assert report["agreement"]["krippendorff_alpha"] == \
        round(float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="interval")), 4)
    assert agreement("esa", items, judgements, annotators)["span_f1"] == 1.0  # everyone marked the same span
    qc = report["quality_control"]
    assert qc["ana"]["pass_rate"] == 1.0 and qc["ben"]["pass_rate"] == 1.0 and qc[careless]["pass_rate"] < 0.8
    # metric trust: chrF2++'s Kendall tau recomputed with scipy on the same (item, system) pairs
    refs = {sid: text for (sid, target), text in reference_texts().items() if target == "eng_Latn"}
    regular = [i for i in items.values() if i.kind == REGULAR and i.segment_id in refs]
    human, metric = [], []
    for item in sorted(regular, key=lambda i: i.id):
        for system in SYSTEM_NAMES:
            scores = [j.translations[item.systems.index(system)].score for j in judgements if j.item_id == item.id]
            human.append(float(np.mean(scores)))
            metric.append(CHRF(word_order=2).sentence_score(item.translations[item.systems.index(system)],
                                                            [refs[item.segment_id]]).score)
    chrf = report["metrics"]["chrF2++"]
    assert chrf["kendall_tau"] == round(float(kendalltau(metric, human).statistic), 4) and chrf["kendall_tau"] > 0.5
    assert chrf["pairwise_accuracy"] == 1.0 and chrf["segments"] == len(human)


# --- the annotation app ------------------------------------------------------------------------------------------

@pytest.fixture
def annotation_client(systems, tmp_path):
    from starlette.testclient import TestClient

    from seedmt.review.annotation import create_annotation_app
    from seedmt.review.app import ReviewSettings

    path = campaign(tmp_path, systems, protocol="mqm", items=8, annotators=["ana", "ben"])
    settings = ReviewSettings(path, reviewer="ana", port=8766)
    app = create_annotation_app(settings, path, "ana")
    try:
        with TestClient(app, base_url="http://127.0.0.1:8766") as client:
            client.get(f"/?token={settings.token}")
            client.settings, client.campaign = settings, path
            yield client
    finally:
        app.state.store.close()


def post(client, body: dict, **headers):
    return client.post("/api/campaign/judge", content=json.dumps(body),
                       headers={"X-CSRF-Token": client.settings.csrf, "Origin": "http://127.0.0.1:8766", **headers})


def test_nothing_the_annotator_receives_names_a_system_or_its_folder(annotation_client, systems):
    client = annotation_client
    responses = [client.get("/").text, client.get("/static/annotate.js").text]
    total = client.get("/api/campaign/item").json()["total"]
    for position in range(total):
        answer = client.get(f"/api/campaign/item?position={position}")
        assert answer.status_code == 200
        responses.append(answer.text)
        item = answer.json()["item"]
        marks = [{"score": None, "spans": [{"start": 0, "end": 1, "severity": "minor",
                                            "category": "Fluency/Spelling"}]} for _ in item["translations"]]
        # nothing in an item tells a quality-control copy from a regular item: no id, the same fields
        assert set(item) == {"source", "before", "after", "translations", "source_dir", "target_dir"}
        responses.append(post(client, {"position": position, "version": 0, "translations": marks}).text)
    everything = "\n".join(responses)
    for name, folder in systems:
        assert name not in everything and str(folder) not in everything
    assert "nllb" not in everything.lower() and str(client.campaign) not in everything
    assert "quality" not in everything.lower() and "degraded" not in everything.lower()


def test_judgements_are_validated_versioned_and_guarded(annotation_client):
    client = annotation_client
    data = client.get("/api/campaign/item").json()
    item = data["item"]
    n = len(item["translations"])
    span = {"start": 0, "end": 3, "severity": "major", "category": "Accuracy/Omission"}
    good = {"position": data["position"], "version": 0, "seconds": 12.5,
            "translations": [{"score": None, "spans": [span]}] + [{"score": None, "spans": []}] * (n - 1)}
    assert client.post("/api/campaign/judge", content=json.dumps(good)).status_code == 403  # no CSRF token
    outside = {**good, "translations": [{"score": None, "spans": [{**span, "end": 10_000}]}] * n}
    assert "not inside" in post(client, outside).json()["error"]
    assert post(client, {**good, "translations": [{"score": None, "spans": [{**span, "category": "Vibes"}]}] * n}) \
        .status_code == 400
    assert post(client, {**good, "translations": good["translations"][:1]}).status_code == 400
    assert post(client, {**good, "position": 10_000}).status_code == 400
    # an error span overlapping another is refused, naming the problem
    overlapping = {**good, "translations": [{"score": None, "spans": [span, {**span, "start": 1, "end": 2}]}] +
                   good["translations"][1:]}
    assert "overlap" in post(client, overlapping).json()["error"]
    saved = post(client, good)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    stale = post(client, good)  # a second tab that loaded version 0
    assert stale.status_code == 409 and "reload" in stale.json()["error"]
    store = CampaignStore(client.campaign)
    try:
        (stored,) = store.judgements("ana")
        assert stored.translations[0].spans == (Span(0, 3, "major", "Accuracy/Omission"),) and stored.seconds == 12.5
    finally:
        store.close()
    again = client.get(f"/api/campaign/item?position={data['position']}").json()
    assert again["judgement"][0]["spans"] == [span] and again["version"] == 1


@pytest.mark.slow
def test_an_acknowledged_judgement_survives_kill_9(systems, tmp_path):
    import httpx

    path = campaign(tmp_path, systems, protocol="esa", items=6, annotators=["ana"])
    process = subprocess.Popen([sys.executable, "-m", "seedmt", "humaneval", "annotate", str(path), "--annotator",
                                "ana", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"(http://\S+?)/\?token=\S+", line)
        assert url, (line, process.stderr.read() if process.poll() is not None else "")
        base = url.group(1)
        with httpx.Client() as http:
            page = http.get(url.group(0)).text
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
            shown = http.get(f"{base}/api/campaign/item").json()
            item = shown["item"]
            body = {"position": shown["position"], "version": 0,
                    "translations": [{"score": 70 + k, "spans": []} for k in range(len(item["translations"]))]}
            saved = http.post(f"{base}/api/campaign/judge", content=json.dumps(body),
                              headers={"X-CSRF-Token": csrf, "Origin": base})
            assert saved.status_code == 200
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    store = CampaignStore(path)
    try:
        (judged,) = store.judgements("ana")
        assert [t.score for t in judged.translations] == [70 + k for k in range(len(item["translations"]))]
        assert store.next_item("ana") != store.queue("ana")[shown["position"]]  # reopening continues after it
    finally:
        store.close()


def test_the_cli_makes_and_reports_a_campaign(systems, tmp_path, capsys):
    out = tmp_path / "cli.campaign.sqlite"
    assert main(["humaneval", "create", *[str(folder) for _, folder in systems], "--protocol", "esa", "--items", "9",
                 "--annotators", "ana,ben", "--out", str(out)]) == EXIT_OK
    assert "9 items" in capsys.readouterr().out
    judge_all(out, lambda a, item, p, s: ((), 80 if s == SYSTEM_NAMES[0] else 40))
    report_json = tmp_path / "report.json"
    assert main(["humaneval", "report", str(out), "--json", str(report_json), "--export-tsv",
                 str(tmp_path / "esa.tsv")]) == EXIT_OK
    report = json.loads(report_json.read_text(encoding="utf-8"))
    assert report["systems"][SYSTEM_NAMES[0]]["esa_mean"] == 80.0 and report["protocol"] == "esa"
    assert main(["humaneval", "report", str(out)]) == EXIT_OK
    assert "| 1 | alpha-nllb-600M | 80.00 |" in capsys.readouterr().out
    assert main(["humaneval", "annotate", str(out), "--annotator", "zoe", "--port", "0"]) == 1
    assert "no annotator 'zoe'" in capsys.readouterr().err
    # the campaign flows into the dataset card and the HTML report
    dataset = systems[0][1]
    assert main(["publish", str(dataset), "--to", str(tmp_path / "export"), "--campaign", str(out)]) == EXIT_OK
    card = (tmp_path / "export" / "README.md").read_text(encoding="utf-8")
    section = card.split("## Human evaluation")[1].split("## Known limitations")[0]
    assert "ESA" in section and "9 items" in section and "ana, ben" in section
    assert all(name in section for name in SYSTEM_NAMES) and "alpha" in section.lower()
    assert f"{SYSTEM_NAMES[0]}: 80.0" in section
    assert main(["report", str(dataset), "--campaign", str(out), "-o", str(tmp_path / "report.html")]) == EXIT_OK
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Human evaluation (ESA, eng_Latn)" in page and "<td>80.00</td>" in page


def start_annotation_server(path: Path, annotator: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "seedmt", "humaneval", "annotate", str(path), "--annotator",
                                annotator, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"http://\S+/\?token=\S+", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    return process, match.group(0)


def word_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["esa", "mqm"])
def test_one_annotator_judges_by_keyboard_only(systems, tmp_path, protocol):
    """Spans, severities, categories and scores typed with the keyboard land in the store exactly as typed."""
    from selenium.webdriver.common.keys import Keys

    from tests.test_review_browser import chrome, press, wait_for

    path = campaign(tmp_path, systems, protocol=protocol, items=3, annotators=["ana"], quality_control=0)
    process, url = start_annotation_server(path, "ana")
    browser = chrome()
    try:
        browser.get(url)
        wait_for(browser, "document.querySelectorAll('.translation .token').length > 0")
        first_position = browser.execute_script("return state.data.position")
        words = browser.execute_script("return state.tokens[0].length")
        # translation 1: the 2nd and 3rd words (as many as it has), a minor error (MQM: category 7,
        # Fluency/Punctuation)
        press(browser, *([Keys.ARROW_RIGHT] if words >= 3 else []), *([(Keys.SHIFT, Keys.ARROW_RIGHT)] if words >= 2
                                                                         else []), "m")
        if protocol == "mqm":
            wait_for(browser, "!document.getElementById('category-picker').hidden")
            press(browser, "7", Keys.ENTER)
        else:
            press(browser, "s", "73", Keys.ENTER)
        # translation 2: its first word, a major error (MQM: category 12, Non-translation)
        press(browser, Keys.ARROW_DOWN, "M")
        if protocol == "mqm":
            press(browser, "12", Keys.ENTER)
        else:
            press(browser, "s", "41", Keys.ENTER)
        # translation 3: no error (ESA: score 5)
        press(browser, Keys.ARROW_DOWN)
        if protocol == "esa":
            press(browser, "s", "5", Keys.ENTER)
        press(browser, (Keys.CONTROL, Keys.ENTER))
        wait_for(browser, f"state.data && state.data.position !== {first_position}")
        visible = browser.page_source
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)
    store = CampaignStore(path)
    try:
        first_item = store.queue("ana")[first_position]
        item = store.item(first_item)
        (judged,) = store.judgements("ana")
    finally:
        store.close()
    first, second = word_spans(item.translations[0]), word_spans(item.translations[1])
    categories = ("Fluency/Punctuation", "Non-translation") if protocol == "mqm" else (None, None)
    assert judged.item_id == first_item
    chosen = first[1:3] if len(first) >= 3 else first[:2]
    assert judged.translations[0].spans == (Span(chosen[0][0], chosen[-1][1], "minor", categories[0]),)
    assert judged.translations[1].spans == (Span(second[0][0], second[0][1], "major", categories[1]),)
    assert judged.translations[2].spans == ()
    assert [t.score for t in judged.translations] == ([73, 41, 5] if protocol == "esa" else [None] * 3)
    assert judged.seconds > 0
    assert all(name not in visible for name in SYSTEM_NAMES)


def test_an_annotator_without_items_gets_one_clear_error(systems, tmp_path):
    from seedmt.review.annotation import create_annotation_app
    from seedmt.review.app import ReviewSettings

    path = campaign(tmp_path, systems, items=1, annotators=["ana", "ben"], overlap=0, quality_control=0)
    with pytest.raises(CampaignError, match="ben's queue is empty"):
        create_annotation_app(ReviewSettings(path), path, "ben")
    with pytest.raises(CampaignError, match="no annotator 'zoe'"):
        create_annotation_app(ReviewSettings(path), path, "zoe")
