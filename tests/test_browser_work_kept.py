"""In a real browser (headless chromium through Selenium): offsets that survive emoji, astral letters, combining
marks and right-to-left text; mouse marking on the words dragged over; the omission slot; any mark removed;
bounded scores; buttons reachable by Tab; unsaved marks and post-edits never dropped without a word; keys typed
faster than the alignment editor answers are all applied."""
from __future__ import annotations

import re

import pytest

from seedmt.dataset.campaigns import CampaignStore, Span, create_campaign
from tests import test_review_browser
from tests.helpers import fresh_copy, rewrite_translations, start_server
from tests.test_review_browser import chrome, press, rows, wait_for

pytestmark = pytest.mark.slow
app = test_review_browser.app  # the review app over a fresh dataset, in chromium

ASTRAL = "Great 😀😀 news 𝐁𝐨𝐥𝐝 today: the mayor 𠀀 thanked everyone"
MIXED = "Cafe\u0301 au lait, then שָׁלוֹם עולם and 👍🏽 thanks again"


@pytest.fixture
def annotation(translated_dir, tmp_path):
    from tests.test_humaneval import start_annotation_server

    first = rewrite_translations(translated_dir, tmp_path / "first", lambda s, t: ASTRAL)
    second = rewrite_translations(translated_dir, tmp_path / "second", lambda s, t: MIXED)
    path = tmp_path / "esa.campaign.sqlite"
    create_campaign(path, [("a", first), ("b", second)], protocol="esa", items=3, annotators=["ana"],
                    quality_control=0).close()
    process, url = start_annotation_server(path, "ana")
    browser = chrome()
    try:
        yield browser, url, path
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)


def word_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def test_marks_land_on_the_characters_the_annotator_chose(annotation):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser, url, path = annotation
    browser.get(url)
    wait_for(browser, "document.body.dataset.ready === '1'")
    texts = browser.execute_script("return state.data.item.translations")
    a, b = texts.index(ASTRAL), texts.index(MIXED)
    position = browser.execute_script("return state.data.position")
    # keyboard: translation a, the cursor onto "thanked", a minor error
    press(browser, str(a + 1), *[Keys.ARROW_RIGHT] * ASTRAL.split().index("thanked"), "m")
    # the omission slot of translation a (End), a major error
    press(browser, Keys.END, "M")
    # a mark made and removed again with its own button
    press(browser, str(a + 1), "m")
    wait_for(browser, f"state.marks[{a}].spans.length === 3")
    browser.find_elements("css selector", f'.translation[data-position="{a}"] .remove-mark')[0].click()
    wait_for(browser, f"state.marks[{a}].spans.length === 2")
    # the mouse: drag over words 1 to 3 of translation b, then the "major error" button
    tokens = browser.find_elements("css selector", f'.translation[data-position="{b}"] .token')
    ActionChains(browser).click_and_hold(tokens[1]).move_to_element(tokens[3]).release().perform()
    browser.find_element("css selector", "#mark-major").click()
    wait_for(browser, f"state.marks[{b}].spans.length === 1")
    # scores: a typed score over 100 becomes 100
    for position_shown, typed in ((a, "150"), (b, "73")):
        press(browser, str(position_shown + 1), "s", typed, Keys.ENTER)
    assert browser.execute_script(f"return state.marks[{a}].score") == 100
    # unsaved marks: the first n only warns, the second leaves them as a draft, p brings them back
    press(browser, "n")
    assert browser.execute_script("return state.data.position") == position
    press(browser, "n")
    wait_for(browser, f"state.data.position === {position + 1}")
    press(browser, "p")
    wait_for(browser, f"state.data.position === {position} && state.dirty === true")
    assert browser.execute_script(f"return state.marks[{a}].spans.length") == 2
    # the buttons are reachable with Tab
    browser.execute_script("document.activeElement.blur()")
    press(browser, Keys.TAB)
    assert browser.execute_script("return document.activeElement.tagName") in ("INPUT", "BUTTON")
    browser.execute_script("document.activeElement.blur()")
    press(browser, (Keys.CONTROL, Keys.ENTER))
    wait_for(browser, f"state.data.position !== {position} && !state.dirty")
    store = CampaignStore(path)
    try:
        item_id = store.queue("ana")[position]
        (judged,) = store.judgements("ana")
        assert judged.item_id == item_id
    finally:
        store.close()
    thanked = ASTRAL.index("thanked")  # Python counts code points, as the server does
    assert set(judged.translations[a].spans) == {Span(thanked, thanked + len("thanked"), "minor"),
                                                 Span(len(ASTRAL), len(ASTRAL), "major")}
    words = word_spans(MIXED)
    assert judged.translations[b].spans == (Span(words[1][0], words[3][1], "major"),)
    assert MIXED[words[1][0]:words[3][1]] == "au lait, then"
    assert [judged.translations[a].score, judged.translations[b].score] == [100, 73]


def test_the_review_page_asks_before_dropping_a_post_edit(app):
    from selenium.webdriver.common.keys import Keys

    browser, url, _ = app
    browser.get(url)
    browser.get(url.split("/?")[0] + "/review?order=document")
    wait_for(browser, "document.body.dataset.ready === '1'")
    first = rows(browser)[0][0]
    row = f"document.querySelector('tr[data-segment=\"{first}\"]')"
    press(browser, Keys.ENTER)
    wait_for(browser, "document.activeElement.classList.contains('editor')")
    press(browser, (Keys.CONTROL, "a"), "Typed, not saved.", Keys.ESCAPE)
    # the text stays, the row says so, and leaving the page asks first
    assert browser.execute_script(f"return {row}.classList.contains('unsaved')")
    assert browser.execute_script(
        "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented")
    press(browser, Keys.ENTER)
    wait_for(browser, "document.activeElement.classList.contains('editor')")
    assert browser.execute_script("return document.activeElement.value") == "Typed, not saved."
    press(browser, (Keys.CONTROL, Keys.ENTER))
    wait_for(browser, f"{row}.dataset.status === 'edited'")
    assert not browser.execute_script(
        "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented")
    # `a` over the post-edit: the first press only warns, the second accepts the machine translation
    press(browser, "k")
    press(browser, "a")
    wait_for(browser, "document.getElementById('toast').textContent.includes('press a again')")
    assert browser.execute_script(f"return {row}.dataset.status") == "edited"
    press(browser, "a")
    wait_for(browser, f"{row}.dataset.status === 'accepted'")
    press(browser, "u")  # and undo brings the post-edit back
    wait_for(browser, f"{row}.dataset.status === 'edited'")
    # every action is a button too, reachable with Tab; the pages have controls
    browser.find_element("css selector", "#toolbar button[data-action=reject]").click()
    wait_for(browser, "document.activeElement.classList.contains('reason')")
    assert "page 1 of" in browser.find_element("css selector", "nav.pages").text


def test_keys_typed_faster_than_the_alignment_editor_answers_are_all_applied(reviewed_dataset, tmp_path):
    from selenium.webdriver.common.keys import Keys

    from tests.helpers import SEEDS_DIR, build_case

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    source, translation = tmp_path / "003_8e8481b4ceab6e39.txt", tmp_path / "english.txt"
    source.write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"), encoding="utf-8")
    translation.write_text(case.target_text, encoding="utf-8")
    process, url = start_server(dataset, "--references", str(tmp_path / "references"))
    browser = chrome()
    try:
        browser.get(url)
        browser.get(url.split("/?")[0] + "/align")
        wait_for(browser, "document.body.dataset.ready === '1'")
        browser.find_element("css selector", "input[name=source]").send_keys(str(source))
        browser.find_element("css selector", "input[name=target]").send_keys(str(translation))
        browser.find_element("css selector", "input[name=target_lang]").send_keys("eng_Latn", Keys.ENTER)
        wait_for(browser, "document.body.dataset.page === 'align' && document.body.dataset.ready === '1'", 120)
        count = browser.execute_script("return document.querySelectorAll('#links tr.link').length")
        press(browser, *["k"] * count)
        version = int(browser.execute_script("return document.body.dataset.version"))
        press(browser, "a", "a", "a")  # in one burst: the second and third arrive while the first is in flight
        wait_for(browser, f"Number(document.body.dataset.version) === {version + 3}", 60)
        origins = browser.execute_script(
            "return Array.from(document.querySelectorAll('#links tr.link')).map(r => r.dataset.origin)")
        assert origins[:3] == ["accepted"] * 3
        assert browser.execute_script("return Number(document.body.dataset.current)") == 3
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)
