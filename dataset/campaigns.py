"""Human evaluation campaigns: several systems' translations of the same segments, judged blind by people, the
way WMT runs its campaigns (Error Span Annotation, ESA, since 2024; MQM as in Freitag et al. 2021).

A campaign is one SQLite file (`seedmt.core.store`): the items (a segment, its source, the document context
around it, and each system's translation under a position that hides which system made it, shuffled per item),
each annotator's queue, and every judgement as its own transaction (`synchronous=FULL`: an acknowledged
judgement survives a kill -9). Reopening it continues where each annotator stopped.

- **Sampling** (seeded, reproducible): `unit="segments"` draws segments stratified by document (each document in
  proportion to its size); `unit="documents"` takes whole documents, in random order, until the count is reached.
  Only segments every system translated, and none already in the target language, are drawn.
- **Queues**: each item goes to one annotator, in turns; a share of the items (`overlap`) goes to a second one as
  well, for agreement. Each queue is shuffled.
- **Quality control**, as Appraise does it: for a share (`quality_control`) of each annotator's items, a copy of
  the item with one translation degraded on purpose (a run of its words replaced by words of another item's
  translation) comes later in the same annotator's queue. An attentive annotator scores it lower, or marks more
  errors in it, than the original.

What a person submits (`Judgement`) is validated here: spans inside the translation and not overlapping, severities
and categories of the protocol, ESA scores 0-100 for every translation. Span offsets count Unicode code points
(Python's `str` indices) in the translation; a span `(n, n)` where n is the translation's length marks an
omission: WMT's `[MISSING]` slot, an error of something the translation leaves out."""
from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedmt.core.clock import utc_now
from seedmt.core.errors import SeedMTError
from seedmt.core.languages import written_without_spaces
from seedmt.core.store import Store, StoreError, StoreKind
from seedmt.dataset.schema import SEGMENTS, TRANSLATION_COLUMN

PROTOCOLS = ("esa", "mqm")
SEVERITIES = ("minor", "major")
# The MQM typology annotators choose from (Freitag et al. 2021, as WMT's MQM campaigns use it).
MQM_CATEGORIES = (
    "Accuracy/Mistranslation", "Accuracy/Omission", "Accuracy/Addition", "Accuracy/Untranslated",
    "Fluency/Grammar", "Fluency/Spelling", "Fluency/Punctuation", "Fluency/Register",
    "Terminology", "Style", "Locale convention", "Non-translation",
)
REGULAR, QUALITY_CONTROL = "regular", "quality control"
CONTEXT_SEGMENTS = 2  # source segments shown before and after the item
MAX_SPANS = 200  # per translation


class CampaignError(SeedMTError):
    """A campaign that cannot be made, opened or written to."""


@dataclass(frozen=True)
class CampaignSystem:
    name: str
    folder: str
    signature: str


@dataclass(frozen=True)
class Item:
    id: int
    doc_id: str
    segment_id: str
    source_lang: str
    source: str
    before: list[str]  # the source segments before it in its document (at most CONTEXT_SEGMENTS)
    after: list[str]
    kind: str  # REGULAR or QUALITY_CONTROL
    original: int | None  # for a quality-control item: the item it copies
    degraded_position: int | None  # ... and the position of its degraded translation
    translations: list[str]  # by position: what the annotator sees
    systems: list[str]  # by position: who made it (never sent to an annotator)


@dataclass(frozen=True)
class Span:
    start: int  # code points into the translation
    end: int
    severity: str
    category: str | None = None  # MQM only

    def is_omission(self, text: str) -> bool:
        return self.start == self.end == len(text)


@dataclass(frozen=True)
class TranslationJudgement:
    spans: tuple[Span, ...]
    score: int | None = None  # ESA only


@dataclass(frozen=True)
class Judgement:
    annotator: str
    item_id: int
    translations: tuple[TranslationJudgement, ...]  # by position
    seconds: float
    at: str
    version: int


_RELEASE_1 = (
    "CREATE TABLE campaign (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE items (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, segment_id TEXT NOT NULL,
        source_lang TEXT NOT NULL, source TEXT NOT NULL, before TEXT NOT NULL, after TEXT NOT NULL,
        kind TEXT NOT NULL, original INTEGER REFERENCES items(id), degraded_position INTEGER)""",
    """CREATE TABLE translations (item_id INTEGER NOT NULL REFERENCES items(id), position INTEGER NOT NULL,
        system TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (item_id, position))""",
    """CREATE TABLE queues (annotator TEXT NOT NULL, position INTEGER NOT NULL, item_id INTEGER NOT NULL
        REFERENCES items(id), PRIMARY KEY (annotator, position))""",
    """CREATE TABLE judgements (annotator TEXT NOT NULL, item_id INTEGER NOT NULL REFERENCES items(id),
        translations TEXT NOT NULL, seconds REAL NOT NULL, at TEXT NOT NULL, version INTEGER NOT NULL,
        PRIMARY KEY (annotator, item_id))""",
    # every submission as it came, for the record (a judgement can be revised; the log keeps each version)
    """CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, annotator TEXT NOT NULL, item_id INTEGER NOT NULL,
        translations TEXT NOT NULL, seconds REAL NOT NULL, at TEXT NOT NULL)""",
)
CAMPAIGN_STORE = StoreKind("campaign store", migrations=(_RELEASE_1,), synchronous="FULL")


class StaleJudgement(CampaignError):
    """The item was judged again since the client loaded it (another tab)."""


def _item(row, translations: list[tuple[str, str]]) -> Item:
    return Item(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), json.loads(row[6]), row[7], row[8],
                row[9], [text for _, text in translations], [system for system, _ in translations])


def _judgement_json(translations: Sequence[TranslationJudgement]) -> str:
    return json.dumps([{"score": t.score, "spans": [[s.start, s.end, s.severity, s.category] for s in t.spans]}
                       for t in translations], ensure_ascii=False)


def _judgement_from_json(text: str) -> tuple[TranslationJudgement, ...]:
    return tuple(TranslationJudgement(tuple(Span(*span) for span in t["spans"]), t["score"]) for t in json.loads(text))


class CampaignStore(Store):
    kind = CAMPAIGN_STORE

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not Path(path).is_file():
            raise CampaignError(f"{path}: no such campaign (make one with `seedmt humaneval create`)")
        try:
            super().__init__(path)
        except StoreError as err:
            raise CampaignError(str(err)) from None
        if not create and not self.setting("protocol"):
            self.close()
            raise CampaignError(f"{path}: an empty campaign store (make one with `seedmt humaneval create`)")

    # --- the campaign ---------------------------------------------------------------------------------------

    def setting(self, key: str):
        with self._reading() as db:
            row = db.execute("SELECT value FROM campaign WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    @property
    def protocol(self) -> str:
        return self.setting("protocol")

    @property
    def target(self) -> str:
        return self.setting("target")

    def systems(self) -> list[CampaignSystem]:
        return [CampaignSystem(**s) for s in self.setting("systems")]

    def annotators(self) -> list[str]:
        return list(self.setting("annotators"))

    def items(self) -> list[Item]:
        with self._reading() as db:
            rows = db.execute("SELECT * FROM items ORDER BY id").fetchall()
            translations: dict[int, list[tuple[str, str]]] = {}
            for item_id, _, system, text in db.execute("SELECT * FROM translations ORDER BY item_id, position"):
                translations.setdefault(item_id, []).append((system, text))
        return [_item(row, translations[row[0]]) for row in rows]

    def item(self, item_id: int) -> Item | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()
            translations = db.execute("SELECT system, text FROM translations WHERE item_id=? ORDER BY position",
                                      (item_id,)).fetchall()
        return _item(row, translations) if row else None

    def queue(self, annotator: str) -> list[int]:
        with self._reading() as db:
            return [row[0] for row in db.execute("SELECT item_id FROM queues WHERE annotator=? ORDER BY position",
                                                 (annotator,))]

    def judgements(self, annotator: str | None = None) -> list[Judgement]:
        query, args = "SELECT * FROM judgements", ()
        if annotator is not None:
            query, args = query + " WHERE annotator=?", (annotator,)
        with self._reading() as db:
            rows = db.execute(query + " ORDER BY annotator, item_id", args).fetchall()
        return [Judgement(row[0], row[1], _judgement_from_json(row[2]), row[3], row[4], row[5]) for row in rows]

    def judgement(self, annotator: str, item_id: int) -> Judgement | None:
        with self._reading() as db:
            row = db.execute("SELECT * FROM judgements WHERE annotator=? AND item_id=?", (annotator, item_id)).fetchone()
        return Judgement(row[0], row[1], _judgement_from_json(row[2]), row[3], row[4], row[5]) if row else None

    def judged_count(self, annotator: str) -> int:
        with self._reading() as db:
            return db.execute("SELECT COUNT(*) FROM judgements WHERE annotator=?", (annotator,)).fetchone()[0]

    def next_item(self, annotator: str) -> int | None:
        """The first item of the annotator's queue not judged yet: where they stopped."""
        with self._reading() as db:
            row = db.execute("SELECT q.item_id FROM queues q LEFT JOIN judgements j ON j.annotator=q.annotator AND "
                             "j.item_id=q.item_id WHERE q.annotator=? AND j.item_id IS NULL ORDER BY q.position "
                             "LIMIT 1", (annotator,)).fetchone()
        return row[0] if row else None

    # --- judging ----------------------------------------------------------------------------------------------

    def judge(self, annotator: str, item_id: int, translations: Sequence[TranslationJudgement], *, seconds: float,
              expected_version: int) -> Judgement:
        """Store a judgement of the item (one transaction); `expected_version` is the version the client saw (0:
        not judged yet). Raises CampaignError for an item outside the annotator's queue or an invalid judgement,
        StaleJudgement when the item was judged again meanwhile."""
        item = self.item(item_id)
        if item is None or item_id not in set(self.queue(annotator)):
            raise CampaignError(f"item {item_id} is not in {annotator}'s queue")
        check_judgement(self.protocol, item, translations)
        at = utc_now()
        stored = _judgement_json(translations)
        with self._transaction() as db:
            row = db.execute("SELECT version FROM judgements WHERE annotator=? AND item_id=?",
                             (annotator, item_id)).fetchone()
            current = row[0] if row else 0
            if current != expected_version:
                raise StaleJudgement(f"item {item_id} was judged again (version {current}) since this page loaded; "
                                     "reload it")
            db.execute("INSERT OR REPLACE INTO judgements VALUES (?,?,?,?,?,?)",
                       (annotator, item_id, stored, seconds, at, current + 1))
            db.execute("INSERT INTO log (annotator, item_id, translations, seconds, at) VALUES (?,?,?,?,?)",
                       (annotator, item_id, stored, seconds, at))
        return Judgement(annotator, item_id, tuple(translations), seconds, at, current + 1)


def check_judgement(protocol: str, item: Item, translations: Sequence[TranslationJudgement]) -> None:
    if len(translations) != len(item.translations):
        raise CampaignError(f"item {item.id} has {len(item.translations)} translations; the judgement covers "
                            f"{len(translations)}")
    for position, (judged, text) in enumerate(zip(translations, item.translations)):
        where = f"translation {position + 1}"
        if len(judged.spans) > MAX_SPANS:
            raise CampaignError(f"{where}: at most {MAX_SPANS} error spans")
        previous_end = -1
        for span in sorted(judged.spans, key=lambda s: (s.start, s.end)):
            if not (0 <= span.start < span.end <= len(text) or span.start == span.end == len(text)):
                raise CampaignError(f"{where}: span {span.start}-{span.end} is not inside the translation "
                                    f"({len(text)} characters; offsets count Unicode code points, and "
                                    f"{len(text)}-{len(text)} is the omission slot)")
            if span.start < previous_end or span.start == span.end == previous_end:
                raise CampaignError(f"{where}: error spans overlap at {span.start} (mark an error once; change "
                                    "or remove a mark instead of marking over it)")
            previous_end = span.end
            if span.severity not in SEVERITIES:
                raise CampaignError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
            if protocol == "mqm" and span.category not in MQM_CATEGORIES:
                raise CampaignError(f"{where}: an MQM error needs a category of the typology")
            if protocol == "esa" and span.category is not None:
                raise CampaignError(f"{where}: ESA error spans have no category")
        if protocol == "esa" and (judged.score is None or not 0 <= judged.score <= 100):
            raise CampaignError(f"{where}: an ESA judgement needs a score from 0 to 100")
        if protocol == "mqm" and judged.score is not None:
            raise CampaignError(f"{where}: MQM judgements have no score (the errors make it)")


# --- making a campaign ------------------------------------------------------------------------------------------

def degrade(text: str, donor: str, rng: random.Random, target: str) -> str:
    """`text` with a run of about a third of its words (characters, for a language written without spaces)
    replaced by as many from `donor`: fluent pieces that do not translate the source, as Appraise's
    quality-control items have."""
    spaced = not written_without_spaces(target)
    words, other = (text.split(), donor.split()) if spaced else (list(text), list(donor))
    if len(words) < 2 or not other:
        return text + (" " if spaced else "") + donor  # too short to cut: an addition instead
    size = max(1, math.ceil(len(words) / 3))
    start = rng.randrange(0, len(words) - size + 1)
    offset = rng.randrange(0, max(1, len(other) - size + 1))
    replacement = (other[offset:offset + size] * size)[:size]
    degraded = words[:start] + replacement + words[start + size:]
    joined = (" " if spaced else "").join(degraded)
    return joined if joined != text else text + (" " if spaced else "") + donor


def _segments(opened, target: str) -> dict[str, dict]:
    if target not in opened.targets:
        raise CampaignError(f"{opened.path} holds no translations into {target} (targets: "
                            f"{', '.join(opened.targets)})")
    return {row["segment_id"]: row for row in opened.tables[SEGMENTS]}


def _draw(segment_ids: list[str], by_doc: dict[str, list[str]], count: int, unit: str, rng: random.Random) -> list[str]:
    if unit == "documents":
        chosen: list[str] = []
        for doc in rng.sample(sorted(by_doc), len(by_doc)):
            if len(chosen) >= count:
                break
            chosen += by_doc[doc][:count - len(chosen)]
        return chosen
    # stratified: each document in proportion to its share of the segments (largest remainders), then random
    # segments inside each document
    total = len(segment_ids)
    quotas = {doc: count * len(ids) / total for doc, ids in by_doc.items()}
    taken = {doc: int(q) for doc, q in quotas.items()}
    for doc in sorted(quotas, key=lambda d: (-(quotas[d] - taken[d]), d))[:count - sum(taken.values())]:
        taken[doc] += 1
    return [s for doc in sorted(by_doc) for s in sorted(rng.sample(by_doc[doc], taken[doc]),
                                                        key=by_doc[doc].index)]


def create_campaign(path: Path, systems: Sequence[tuple[str, Path]], *, protocol: str, items: int,
                    annotators: Sequence[str], target: str | None = None, unit: str = "segments",
                    overlap: float = 0.2, quality_control: float = 0.1, seed: int = 0) -> CampaignStore:
    """Make the campaign file at `path` (which must not exist) from `systems` ((name, dataset folder) each)."""
    from seedmt.dataset.storage import open_dataset

    path = Path(path)
    if protocol not in PROTOCOLS:
        raise CampaignError(f"unknown protocol '{protocol}' (one of {', '.join(PROTOCOLS)})")
    if len(systems) < 2:
        raise CampaignError("a campaign compares at least two systems")
    annotators = list(dict.fromkeys(a.strip() for a in annotators if a.strip()))
    if not annotators:
        raise CampaignError("a campaign needs at least one annotator")
    if unit not in ("segments", "documents"):
        raise CampaignError("unit must be 'segments' or 'documents'")
    if not 0 <= overlap <= 1 or not 0 <= quality_control <= 1:
        raise CampaignError("overlap and quality control are shares between 0 and 1")
    if path.exists():
        raise CampaignError(f"{path} exists: a campaign is made once (open it to continue, or pick another name)")
    opened = [open_dataset(folder) for _, folder in systems]  # each read once
    target = target or opened[0].targets[0]
    tables = [_segments(dataset, target) for dataset in opened]
    shared = [sid for sid in tables[0] if all(sid in t for t in tables[1:])]
    usable = [sid for sid in shared if target not in tables[0][sid]["copied_targets"] and
              all(t[sid][TRANSLATION_COLUMN][t[sid]["source_lang"]] == tables[0][sid][TRANSLATION_COLUMN]
                  [tables[0][sid]["source_lang"]] for t in tables[1:])]
    if not usable:
        raise CampaignError("the systems' datasets share no segment with the same source to judge")
    usable.sort(key=lambda sid: (tables[0][sid]["doc_id"], tables[0][sid]["index"]))
    by_doc: dict[str, list[str]] = {}
    for sid in usable:
        by_doc.setdefault(tables[0][sid]["doc_id"], []).append(sid)
    rng = random.Random(seed)
    chosen = _draw(usable, by_doc, min(items, len(usable)), unit, rng)
    in_doc = {sid: (doc, k) for doc, ids in by_doc.items() for k, sid in enumerate(ids)}
    all_ids = {doc: sorted((r for r in tables[0].values() if r["doc_id"] == doc), key=lambda r: r["index"])
               for doc in by_doc}
    store = CampaignStore(path, create=True)
    try:
        with store._transaction() as db:
            settings = {"protocol": protocol, "target": target, "unit": unit, "seed": seed, "overlap": overlap,
                        "quality_control": quality_control, "created_at": utc_now(), "annotators": annotators,
                        "systems": [{"name": name, "folder": str(folder), "signature": dataset.run["signature"]}
                                    for (name, folder), dataset in zip(systems, opened)]}
            db.executemany("INSERT INTO campaign VALUES (?, ?)",
                           [(key, json.dumps(value, ensure_ascii=False)) for key, value in settings.items()])
            regular: list[tuple[int, list[str]]] = []
            for number, sid in enumerate(chosen, 1):
                row = tables[0][sid]
                doc, _ = in_doc[sid]
                sources = [r[TRANSLATION_COLUMN][r["source_lang"]] for r in all_ids[doc]]
                k = row["index"]
                order = list(range(len(systems)))
                rng.shuffle(order)
                db.execute("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,NULL,NULL)",
                           (number, doc, sid, row["source_lang"], row[TRANSLATION_COLUMN][row["source_lang"]],
                            json.dumps(sources[max(0, k - CONTEXT_SEGMENTS):k], ensure_ascii=False),
                            json.dumps(sources[k + 1:k + 1 + CONTEXT_SEGMENTS], ensure_ascii=False), REGULAR))
                texts = []
                for position, s in enumerate(order):
                    text = tables[s][sid][TRANSLATION_COLUMN][target]
                    texts.append(text)
                    db.execute("INSERT INTO translations VALUES (?,?,?,?)", (number, position, systems[s][0], text))
                regular.append((number, [systems[s][0] for s in order]))
            queues: dict[str, list[int]] = {a: [] for a in annotators}
            for k, (number, _) in enumerate(regular):
                owner = k % len(annotators)
                queues[annotators[owner]].append(number)
            if len(annotators) > 1:
                for number, _ in rng.sample(regular, round(overlap * len(regular))):
                    owner = (number - 1) % len(annotators)
                    queues[annotators[(owner + 1) % len(annotators)]].append(number)
            next_id = len(regular) + 1
            texts_of = {number: [r[0] for r in db.execute(
                "SELECT text FROM translations WHERE item_id=? ORDER BY position", (number,))] for number, _ in regular}
            for annotator in annotators:
                queue = queues[annotator]
                rng.shuffle(queue)
                checks = rng.sample(queue, round(quality_control * len(queue))) if len(regular) > 1 else []
                for original in checks:
                    position = rng.randrange(len(texts_of[original]))
                    donor_item = rng.choice([n for n, _ in regular if n != original])
                    donor = rng.choice(texts_of[donor_item])
                    db.execute("INSERT INTO items SELECT ?, doc_id, segment_id, source_lang, source, before, after, "
                               "?, id, ? FROM items WHERE id=?", (next_id, QUALITY_CONTROL, position, original))
                    for p, text in enumerate(texts_of[original]):
                        system = db.execute("SELECT system FROM translations WHERE item_id=? AND position=?",
                                            (original, p)).fetchone()[0]
                        shown = degrade(text, donor, rng, target) if p == position else text
                        db.execute("INSERT INTO translations VALUES (?,?,?,?)", (next_id, p, system, shown))
                    # later in the same queue than the original, at least a few items on when the queue allows
                    earliest = min(len(queue), queue.index(original) + 3)
                    queue.insert(rng.randint(earliest, len(queue)), next_id)
                    next_id += 1
                db.executemany("INSERT INTO queues VALUES (?,?,?)",
                               [(annotator, k, item_id) for k, item_id in enumerate(queue)])
    except BaseException:
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise
    return store
