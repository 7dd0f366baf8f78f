"""The review app in a real browser (Debian's chromium through Selenium and chromedriver), driven by the
keyboard only: walk the worst-first queue, post-edit, accept, reject, undo, redo, filter, reload, export."""
from __future__ import annotations

import json
import shutil

import pytest

from seedmt.cli import EXIT_OK, main
from tests.helpers import XSS, fresh_copy, start_server

pytestmark = pytest.mark.slow


def chrome():
    import os

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not browser or not driver:
        message = "no chromium/chromedriver: apt-get install chromium chromium-driver to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run them")
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture
def app(reviewed_dataset, tmp_path):
    dataset = fresh_copy(reviewed_dataset, tmp_path)
    process, url = start_server(dataset)
    browser = chrome()
    try:
        yield browser, url, dataset
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)


def press(browser, *keys):
    """Type keys; a tuple is a chord, its first key held down: (Keys.CONTROL, Keys.ENTER)."""
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(browser)
    for key in keys:
        if isinstance(key, tuple):
            modifier, pressed = key
            actions.key_down(modifier).send_keys(pressed).key_up(modifier)
        else:
            actions.send_keys(key)
    actions.perform()


def wait_for(browser, condition, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda _: browser.execute_script(f"return {condition}"))


def rows(browser):
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.item')).map(r => [r.dataset.segment, r.dataset.target, "
        "r.dataset.status, r.classList.contains('current')])")


def test_the_review_loop_by_keyboard(app, reviewed_dataset):
    from selenium.webdriver.common.keys import Keys

    browser, url, dataset = app
    browser.get(url)
    assert browser.find_elements("css selector", "table.documents tbody tr")
    browser.get(url.split("/?")[0] + "/review")  # the worst-first queue; the cookie carries the token
    wait_for(browser, "document.body.dataset.ready === '1'")
    first, second, third = [r[0] for r in rows(browser)[:3]]
    assert rows(browser)[0][3]  # the first row is selected

    press(browser, Keys.ENTER)  # edit
    wait_for(browser, "document.activeElement.classList.contains('editor')")
    press(browser, (Keys.CONTROL, "a"), "A post-edited sentence.", (Keys.CONTROL, Keys.ENTER))
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{first}\"]').dataset.status === 'edited'")
    inserted = browser.execute_script(
        f"return document.querySelector('tr[data-segment=\"{first}\"] .post-edit .inserted').textContent")
    assert "post-edited" in inserted
    assert rows(browser)[1][3]  # saved, and on to the next segment

    press(browser, "a")  # accept and next
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{second}\"]').dataset.status === 'accepted'")
    press(browser, "r")  # reject: type the reason, Enter
    wait_for(browser, "document.activeElement.classList.contains('reason')")
    press(browser, "garbled output", Keys.ENTER)
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{third}\"]').dataset.status === 'rejected'")
    press(browser, "u")  # undo the rejection
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{third}\"]').dataset.status === 'unreviewed'")
    press(browser, (Keys.SHIFT, "u"))  # redo it
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{third}\"]').dataset.status === 'rejected'")
    press(browser, "k", "k", Keys.ARROW_DOWN, "j")  # move around: back to the third row
    assert [r[3] for r in rows(browser)][:3] == [False, False, True]

    press(browser, "?")
    assert browser.execute_script("return !document.getElementById('shortcuts').hidden")
    press(browser, Keys.ESCAPE)
    assert browser.execute_script("return document.getElementById('shortcuts').hidden")
    press(browser, "/")
    assert browser.execute_script("return document.activeElement.tagName") == "SELECT"

    browser.refresh()  # everything is still there after a reload
    wait_for(browser, "document.body.dataset.ready === '1'")
    statuses = {r[0]: r[2] for r in rows(browser)}
    assert (statuses[first], statuses[second], statuses[third]) == ("edited", "accepted", "rejected")

    references = dataset.parent / "references"
    assert main(["review", "export", str(dataset), "--references", str(references)]) == EXIT_OK
    exported = {}
    for path in (references / "eng_Latn").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            exported[record["segment_id"]] = record
    assert exported[first]["text"] == "A post-edited sentence." and exported[first]["origin"] == "post-edited"
    assert exported[second]["origin"] == "accepted as is"
    assert exported[third]["skip"] == "translation rejected in review: garbled output"


def test_markup_in_a_seed_is_shown_literally(app):
    from selenium.common.exceptions import NoAlertPresentException

    browser, url, _ = app
    browser.get(url.split("/?")[0] + "/review?doc=markup&order=document&token=" + url.split("token=")[1])
    wait_for(browser, "document.body.dataset.ready === '1'")
    sources = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.item td.source')).map(cell => cell.textContent)")
    assert XSS in " ".join(sources)
    assert browser.execute_script("return document.querySelectorAll('main img, main td script').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - no dialog was opened


def test_the_alignment_editor_by_keyboard(reviewed_dataset, tmp_path):
    """Open a document pair from two files, then from the keyboard only: merge, split, move, unlink, accept,
    re-align, undo, save; the references and their provenance say what the person did."""
    from selenium.webdriver.common.keys import Keys

    from tests.helpers import SEEDS_DIR, build_case

    dataset = fresh_copy(reviewed_dataset, tmp_path)
    references = tmp_path / "references"
    case = build_case("003_8e8481b4ceab6e39", "eng_Latn")
    source, translation = tmp_path / "003_8e8481b4ceab6e39.txt", tmp_path / "english.txt"
    source.write_text((SEEDS_DIR / "003_8e8481b4ceab6e39.txt").read_text(encoding="utf-8"), encoding="utf-8")
    translation.write_text(case.target_text, encoding="utf-8")
    process, url = start_server(dataset, "--references", str(references))
    browser = chrome()
    try:
        browser.get(url)
        browser.get(url.split("/?")[0] + "/align")
        wait_for(browser, "document.body.dataset.ready === '1'")
        browser.find_element("css selector", "input[name=source]").send_keys(str(source))
        browser.find_element("css selector", "input[name=target]").send_keys(str(translation))
        language = browser.find_element("css selector", "input[name=target_lang]")
        language.send_keys("eng_Latn", Keys.ENTER)  # submits the form
        wait_for(browser, "document.body.dataset.page === 'align' && document.body.dataset.ready === '1'", 120)

        def ladder():
            return browser.execute_script(
                "return Array.from(document.querySelectorAll('#links tr.link')).map(r => "
                "[r.dataset.source, r.dataset.target, r.dataset.origin])")

        def do(*keys):
            version = int(browser.execute_script("return document.body.dataset.version"))
            press(browser, *keys)
            wait_for(browser, f"Number(document.body.dataset.version) !== {version}", 30)

        first = ladder()
        assert first[0] == ["0", "0", "aligner"] and first[1] == ["1", "1", "aligner"]
        press(browser, *["k"] * len(first))  # to the top
        do("m")  # merge links 0 and 1
        assert ladder()[0] == ["0,1", "0,1", "edited"]
        do("s")  # split them again
        assert ladder()[:2] == [["0", "0", "edited"], ["1", "1", "edited"]]
        press(browser, "j")
        do("[")  # link 1 gives its source sentence to link 0
        assert ladder()[0] == ["0,1", "0", "edited"] and ladder()[1] == ["", "1", "edited"]
        do("u")  # undo the move
        assert ladder()[1] == ["1", "1", "edited"]
        press(browser, "j")
        do("d")  # unlink link 2: its sentences get no counterpart
        assert ladder()[2:4] == [["2", "", "edited"], ["", "2", "edited"]]
        press(browser, "j", "j", "j")
        do("a")  # accept link 5 as the aligner made it
        assert ladder()[5][2] == "accepted"
        do("r")  # re-align between the anchors
        after = ladder()
        assert after[2:4] == [["2", "", "edited"], ["", "2", "edited"]] and after[5][2] == "accepted"
        assert after[0] == ["0", "0", "edited"]
        press(browser, (Keys.CONTROL, "s"))  # save
        try:
            wait_for(browser, "document.getElementById('toast').textContent.startsWith('saved ')", 30)
        except Exception:
            print("TOAST", browser.execute_script("return document.getElementById('toast').textContent"))
            raise
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)
    reference = references / "eng_Latn" / "003_8e8481b4ceab6e39.jsonl"
    lines = [json.loads(line) for line in reference.read_text(encoding="utf-8").splitlines()]
    assert lines[2]["skip"].startswith("no counterpart in english.txt") and "edited by a person" in lines[2]["skip"]
    assert lines[0]["text"] == case.target_sentences[0] and lines[0]["link"] == "edited"
    provenance = json.loads(reference.with_suffix(".provenance.json").read_text(encoding="utf-8"))
    assert provenance["made_by"] == "seedmt alignment editor" and provenance["reviewers"] == ["ana"]
    assert provenance["counts"]["links"]["accepted"] == 1 and provenance["counts"]["realignments"] == 1
    assert provenance["counts"]["operations"] == 5  # merge, split, unlink, accept, re-align (the undone move is not counted)


def test_two_tabs_editing_one_segment_never_swap_texts_silently(app):
    """The losing tab keeps its own text in the editor, saving it again is refused until the reviewer
    chooses, and "keep mine" saves it deliberately; the refused attempts are in the review log."""
    import httpx
    from selenium.webdriver.common.keys import Keys

    browser, url, dataset = app
    base = url.split("/?")[0]
    browser.get(url)
    first_tab = browser.current_window_handle
    browser.get(base + "/review?order=document")
    wait_for(browser, "document.body.dataset.ready === '1'")
    segment = rows(browser)[0][0]
    browser.switch_to.new_window("tab")
    second_tab = browser.current_window_handle
    browser.get(base + "/review?order=document")
    wait_for(browser, "document.body.dataset.ready === '1'")

    def save_in(tab, text):
        browser.switch_to.window(tab)
        press(browser, Keys.ENTER)
        wait_for(browser, "document.activeElement.classList.contains('editor')")
        press(browser, (Keys.CONTROL, "a"), text, (Keys.CONTROL, Keys.ENTER))

    def saved_text():
        with httpx.Client(cookies={"seedmt_review_token": url.split("token=")[1]}) as http:
            return http.get(f"{base}/api/item", params={"segment_id": segment, "target": "eng_Latn"}).json()

    save_in(first_tab, "Text of the first tab.")
    browser.switch_to.window(first_tab)
    wait_for(browser, f"document.querySelector('tr[data-segment=\"{segment}\"]').dataset.status === 'edited'")
    save_in(second_tab, "Text of the second tab.")
    wait_for(browser, "document.querySelector('.conflict') !== null")
    editor = f"document.querySelector('tr[data-segment=\"{segment}\"] .editor')"
    assert browser.execute_script(f"return {editor}.value") == "Text of the second tab."
    press(browser, (Keys.CONTROL, Keys.ENTER))  # saving again without choosing: refused again, nothing swapped
    wait_for(browser, "document.querySelector('.conflict .mine').textContent.includes('second tab')")
    assert browser.execute_script(f"return {editor}.value") == "Text of the second tab."
    assert saved_text()["post_edit"] == "Text of the first tab."
    browser.find_element("css selector", ".conflict button.keep-mine").click()
    wait_for(browser, "document.querySelector('.conflict') === null")
    assert saved_text()["post_edit"] == "Text of the second tab." and saved_text()["version"] == 2
    with httpx.Client(cookies={"seedmt_review_token": url.split("token=")[1]}) as http:
        rejected = http.get(f"{base}/api/rejected-edits", params={"segment_id": segment, "target": "eng_Latn"})
    assert [x["text"] for x in rejected.json()["rejected"]] == ["Text of the second tab."] * 2


def test_translation_memory_match_inserted_by_key_and_a_qa_finding_ignored(tmp_path):
    """The memory panel follows the selected row; `i` puts the best match into the editor, Ctrl+Enter saves it;
    a QA finding's ignore button asks for a reason and takes the finding off the page."""
    from selenium.webdriver.common.keys import Keys

    from seedmt.dataset.reviews import ReviewStore, store_path
    from tests.helpers import dataset_of_references
    from tests.test_review_cat import EXTRA, SIMILAR, WRONG

    dataset = dataset_of_references(tmp_path / "translations", doc_ids=(WRONG.split(":")[0],), extra=EXTRA)
    with ReviewStore(store_path(dataset)) as store:
        store.act(WRONG, "eng_Latn", "edit", machine_translation=EXTRA[WRONG.split(":")[0]][0][1]["eng_Latn"],
                  reviewer="ben", text="It costs 300,000 roubles (about 90,000 dollars).")
    process, url = start_server(dataset)
    browser = chrome()
    try:
        browser.get(url.replace("/?", "/review?target=eng_Latn&order=document&"))
        wait_for(browser, "document.querySelectorAll('tr.item').length > 0")
        index = next(i for i, row in enumerate(rows(browser)) if row[0] == SIMILAR)
        press(browser, *["j"] * index)
        wait_for(browser, f"document.getElementById('memory').dataset.segment === '{SIMILAR} eng_Latn'")
        assert browser.execute_script("return document.querySelector('#memory .memory-target').textContent") == \
            "It costs 300,000 roubles (about 90,000 dollars)."
        press(browser, "i")
        assert browser.execute_script("return document.querySelector('tr.current .editor').value") == \
            "It costs 300,000 roubles (about 90,000 dollars)."
        press(browser, (Keys.CONTROL, Keys.ENTER))
        wait_for(browser, f"document.querySelector('tr[data-segment=\"{SIMILAR}\"]').dataset.status === 'edited'")
        with ReviewStore(store_path(dataset), create=False) as store:
            assert store.review(SIMILAR, "eng_Latn").post_edit == "It costs 300,000 roubles (about 90,000 dollars)."
        # the edit copied the other segment's numbers: QA finds it; ignore it, with a reason
        browser.get(url.replace("/?", "/review?qa=numbers&"))
        wait_for(browser, "document.querySelector('li.finding[data-check=\"numbers\"] .qa-ignore') !== null")
        browser.execute_script("window.prompt = () => 'checked against the invoice'")
        browser.execute_script("document.querySelector('li.finding[data-check=\"numbers\"] .qa-ignore').click()")
        wait_for(browser, "document.querySelector('li.finding[data-check=\"numbers\"]') === null")
        with ReviewStore(store_path(dataset), create=False) as store:
            decided = list(store.qa_decisions().values())
        assert [(d["segment_id"], d["decision"], d["reason"]) for d in decided] == [
            (SIMILAR, "ignore", "checked against the invoice")]
    finally:
        browser.quit()
        process.terminate()
        process.wait(timeout=30)
