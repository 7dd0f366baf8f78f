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
