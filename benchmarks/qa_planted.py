"""QA checks on planted errors: how many of them `seedmt qa` finds, and how many correct pairs it flags.

    python benchmarks/qa_planted.py                  # every reference pair in references/; JSON in results/
    python benchmarks/qa_planted.py --smoke          # 40 pairs (seconds)
    python benchmarks/qa_planted.py --references DIR --dataset DATASET   # another set (source languages from it)

The correct pairs are the segment-level references (each reference text with the source it translates). Each
kind of error is planted into copies of them, one pair at a time, with a fixed random seed:
- numbers: one digit of a number in the translation changed;
- untranslated: the translation replaced by the source;
- bracket: a bracket of the translation dropped (pairs without brackets get a bracketed gloss on both sides first);
- url: a URL added to both sides, then mangled in the translation (a character changed, dropped or doubled);
- glossary: a glossary entry pairing a word of the source with a word of the translation, and that word replaced
  by another word of the same language in the translation;
- inconsistent: the pair repeated with a second translation (two words swapped or one dropped).
A planted error is found when the check made for it reports the pair (`numbers`, `untranslated`, `brackets`,
`urls`, `glossary`, `inconsistent_translation`). Flagged: pairs with an error or warning finding (info findings,
such as a lost final full stop, are shown to reviewers but do not flag a pair)."""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, machine, write_report  # noqa: E402

from seedmt.cat.glossary import Glossary, Term  # noqa: E402
from seedmt.cat.pairs import dataset_source_languages, reference_pairs  # noqa: E402
from seedmt.cat.qa import INFO, Pair, check_pair, check_pairs, length_norms  # noqa: E402
from seedmt.core.languages import written_without_spaces  # noqa: E402

EXPECTED = {"numbers": "numbers", "untranslated": "untranslated", "bracket": "brackets", "url": "urls",
            "glossary": "glossary", "inconsistent": "inconsistent_translation"}
_DIGITS = re.compile(r"\d+")
_SPACED_WORD = re.compile(r"[^\W\d_]{5,}")
_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")


def words_of(text: str, lang: str) -> list[re.Match]:
    return list((_HAN_PAIR if written_without_spaces(lang) else _SPACED_WORD).finditer(text))


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def plant_numbers(pair: Pair, rng: random.Random):
    numbers = list(_DIGITS.finditer(pair.target))
    if not numbers:
        return None
    match = rng.choice(numbers)
    position = match.start() + rng.randrange(len(match.group()))
    digit = int(pair.target[position])
    new = str((digit + rng.randrange(1, 9)) % 10)
    if position == match.start() and new == "0":  # a leading zero would leave the number's value unchanged
        new = str(digit % 9 + 1)
    return [Pair(pair.key, pair.source, _replace(pair.target, position, position + 1, new), pair.source_lang,
                 pair.target_lang, pair.kind)], None


def plant_untranslated(pair: Pair, rng: random.Random):
    if not any(c.isalpha() for c in pair.source):
        return None
    return [Pair(pair.key, pair.source, pair.source, pair.source_lang, pair.target_lang, pair.kind)], None


def _gloss(pair: Pair, rng: random.Random) -> Pair | None:
    source_words, target_words = words_of(pair.source, pair.source_lang), words_of(pair.target, pair.target_lang)
    if not source_words or not target_words:
        return None
    s, t = rng.choice(source_words), rng.choice(target_words)
    space = "" if written_without_spaces(pair.target_lang) else " "
    return Pair(pair.key, _replace(pair.source, s.end(), s.end(), f" ({s.group()})"),
                _replace(pair.target, t.end(), t.end(), f"{space}（{t.group()}）" if not space else f" ({t.group()})"),
                pair.source_lang, pair.target_lang, pair.kind)


def plant_bracket(pair: Pair, rng: random.Random):
    brackets = [i for i, c in enumerate(pair.target) if c in "()（）[]【】"]
    if not brackets:
        pair = _gloss(pair, rng)
        if pair is None:
            return None
        brackets = [i for i, c in enumerate(pair.target) if c in "()（）[]【】"]
    at = rng.choice(brackets)
    return [Pair(pair.key, pair.source, _replace(pair.target, at, at + 1, ""), pair.source_lang, pair.target_lang,
                 pair.kind)], None


def _before_end(text: str) -> int:
    end = len(text.rstrip())
    while end and not text[end - 1].isalnum() and text[end - 1] not in "\"'”」』)）":
        end -= 1
    return end


def plant_url(pair: Pair, rng: random.Random):
    url = f"https://www.{rng.choice(['news', 'gov', 'data'])}-example.org/{rng.randrange(2000, 2030)}/" \
          f"item-{rng.randrange(100, 999)}.html"
    mangled = list(url)
    at = rng.randrange(12, len(url) - 5)
    how = rng.choice(["change", "drop", "double"])
    if how == "change":
        mangled[at] = "x" if mangled[at] != "x" else "y"
    elif how == "drop":
        del mangled[at]
    else:
        mangled.insert(at, mangled[at])
    s, t = _before_end(pair.source), _before_end(pair.target)
    return [Pair(pair.key, _replace(pair.source, s, s, f" {url}"), _replace(pair.target, t, t, f" {''.join(mangled)}"),
                 pair.source_lang, pair.target_lang, pair.kind)], None


def plant_glossary(pair: Pair, rng: random.Random, replacements: dict[str, list[str]]):
    source_words, target_words = words_of(pair.source, pair.source_lang), words_of(pair.target, pair.target_lang)
    if not source_words or not target_words:
        return None
    s, t = rng.choice(source_words), rng.choice(target_words)
    others = [w for w in replacements[pair.target_lang] if w.casefold() not in pair.target.casefold()]
    if not others:
        return None
    term = Term(s.group(), t.group(), pair.target_lang)
    # the term's every occurrence replaced: the translation no longer uses it anywhere
    planted = re.sub(re.escape(t.group()), lambda _: rng.choice(others), pair.target, flags=re.IGNORECASE)
    return [Pair(pair.key, pair.source, planted, pair.source_lang, pair.target_lang, pair.kind)], term


def plant_inconsistent(pair: Pair, rng: random.Random):
    words = words_of(pair.target, pair.target_lang)
    if len(words) < 2:
        return None
    a, b = sorted(rng.sample(range(len(words)), 2))
    wa, wb = words[a], words[b]
    if wa.group() == wb.group():
        return None
    second = pair.target[:wa.start()] + wb.group() + pair.target[wa.end():wb.start()] + wa.group() + \
        pair.target[wb.end():]
    return [pair, Pair(pair.key + "#repeat", pair.source, second, pair.source_lang, pair.target_lang, pair.kind)], None


def flagged(findings) -> bool:
    return any(f.severity != INFO for f in findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--references", type=Path, default=REPO / "references")
    parser.add_argument("--dataset", type=Path, help="dataset whose documents' source languages to use")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "qa-planted.json")
    args = parser.parse_args()

    started = time.perf_counter()
    languages = dataset_source_languages(args.dataset) if args.dataset else None
    pairs = reference_pairs(args.references, languages)
    if args.smoke:
        pairs = pairs[::max(1, len(pairs) // 40)][:40]
    norms = length_norms(pairs)
    rng = random.Random(args.seed)
    replacements = defaultdict(list)
    for pair in pairs:
        replacements[pair.target_lang] += [m.group() for m in words_of(pair.target, pair.target_lang)]

    planters = {"numbers": plant_numbers, "untranslated": plant_untranslated, "bracket": plant_bracket,
                "url": plant_url, "glossary": lambda p, r: plant_glossary(p, r, replacements),
                "inconsistent": plant_inconsistent}
    results, glossary_terms, missed = {}, [], []
    for kind, plant in planters.items():
        found = planted = 0
        for pair in pairs:
            outcome = plant(pair, rng)
            if outcome is None:
                continue
            planted_pairs, term = outcome
            glossary = Glossary([term]) if term is not None else None
            if term is not None:
                glossary_terms.append((pair, term))
            if kind == "inconsistent":
                reports = check_pairs(planted_pairs)
                findings = [f for r in reports for f in r.findings]
            else:
                findings = check_pair(planted_pairs[0], glossary, norms.get((pair.source_lang, pair.target_lang)))
            planted += 1
            if any(f.check == EXPECTED[kind] for f in findings):
                found += 1
            elif len(missed) < 30:
                missed.append({"kind": kind, "key": pair.key, "target_lang": pair.target_lang,
                               "source": planted_pairs[-1].source[:200], "target": planted_pairs[-1].target[:200]})
        results[kind] = {"planted": planted, "found": found, "found_share": round(found / planted, 4) if planted else None}

    # the correct pairs as they are; and each planted glossary term on the pair it was taken from, which uses it
    clean_reports = check_pairs(pairs)
    term_flags = sum(any(f.check == "glossary" for f in check_pair(pair, Glossary([term])))
                     for pair, term in glossary_terms)
    clean_flagged = [r for r in clean_reports if flagged(r.findings)]
    by_check = defaultdict(int)
    for report in clean_flagged:
        for finding in report.findings:
            if finding.severity != INFO:
                by_check[finding.check] += 1
    planted_total = sum(r["planted"] for r in results.values())
    found_total = sum(r["found"] for r in results.values())
    report = {
        "benchmark": "qa_planted", "smoke": args.smoke, "seed": args.seed, "references": str(args.references),
        "pairs": len(pairs), "target_languages": sorted({p.target_lang for p in pairs}),
        "source_languages": sorted({p.source_lang for p in pairs}),
        "planted": results, "planted_total": planted_total, "found_total": found_total,
        "found_share": round(found_total / planted_total, 4) if planted_total else None,
        "correct_pairs_flagged": len(clean_flagged),
        "correct_pairs_flagged_share": round(len(clean_flagged) / len(pairs), 4) if pairs else None,
        "correct_pairs_flagged_by_check": dict(by_check),
        "glossary_terms_flagged_where_used": term_flags,
        "flagged_correct_pairs": [{"key": r.pair.key, "target_lang": r.pair.target_lang,
                                   "findings": [f.to_dict() for f in r.findings if f.severity != INFO]}
                                  for r in clean_flagged],
        "missed_examples": missed, "seconds": round(time.perf_counter() - started, 2), "machine": machine(),
    }
    write_report(args.out, report)
    print(f"planted errors found: {found_total}/{planted_total}; correct pairs flagged: {len(clean_flagged)}/"
          f"{len(pairs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
