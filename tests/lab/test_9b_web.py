"""The status page in a real browser (Debian's chromium, driven by Selenium) against the agent in the lab:
log in, the board lists the four OPDs, a cut link turns its row down without a reload, triage from the page
ends with circuit-down, the link's page gives the provider's pack, a ticket is triaged and escalated from
the page, a cut uplink is one banner on top, a ticket opened on the page is the CLI's, a POST without the
CSRF token is refused and a viewer cannot act. Screenshots at a phone's and a desktop's size go to
PANTAU_SCREENSHOTS (default: the test's temporary folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from lab.faults import Faults
from lab.runner import Runner
from tests.lab.running import agent_in_nms

NMS = "172.20.20.100"  # the NMS node's mgmt address (lab/kominfo.clab.yml), reachable from the host's la-mgmt
WEB = f"{NMS}:9480"
LISTEN = "127.0.0.1:9471"
DOWN_WITHIN = 45  # seconds, with the default poll intervals (SNMP 30 s, ICMP 15 s) and the board's 5 s refresh
PASSWORD = "kata-sandi-uji-123"
OPDS = [
    "Dinas Kesehatan",
    "Dinas Pendidikan dan Kebudayaan",
    "Dinas Perhubungan",
    "Badan Perencanaan Pembangunan Daerah",
]


def pantau(lab: Runner, state: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", "--lang", "en", *args, "--state-dir", str(state)]
    return subprocess.run(lab.in_node("nms", argv), input=stdin, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-state")


@pytest.fixture(scope="module")
def site(lab_up: tuple[Runner, object], state: Path) -> Iterator[Runner]:
    """The agent with its status page on the NMS's mgmt address, and two users."""
    lab, _ = lab_up
    pantau(lab, state, "user", "add", "andi", "--role", "technician", "--password-stdin", stdin=PASSWORD + "\n")
    pantau(lab, state, "user", "add", "vina", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    env = {**os.environ, "PANTAU_WEB__LISTEN": WEB}  # the agent's defaults otherwise, as deployed
    with agent_in_nms(lab, state, LISTEN, env):
        yield lab


def new_browser(width: int = 1366, height: int = 768) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    driver = new_browser()
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: webdriver.Chrome, name: str) -> None:
    driver.get(f"http://{WEB}/")
    assert driver.current_url.endswith("/login")  # no page without a session
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "board"))


def row_state(driver: webdriver.Chrome, opd: str) -> str:
    """The row's class, read in one script (the board's script replaces rows as it refreshes)."""
    script = "const r = document.querySelector(`tr[data-opd=\"${arguments[0]}\"]`); return r ? r.className : '';"
    return str(driver.execute_script(script, opd))


def shots() -> Path:
    folder = Path(os.environ.get("PANTAU_SCREENSHOTS") or os.environ.get("TMPDIR", "/tmp")) / "pantau-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_board_follows_a_cut_link_and_triage_from_the_page_names_it(
    site: Runner, state: Path, browser: webdriver.Chrome
) -> None:
    log_in(browser, "andi")
    text = browser.find_element(By.ID, "board").text
    assert all(name in text for name in OPDS)
    WebDriverWait(browser, DOWN_WITHIN).until(lambda d: "state-up" in row_state(d, "dinkes"))
    browser.save_screenshot(str(shots() / "board-1366x768.png"))
    faults = Faults(site)
    faults.inject("link-down", opd="dinkes")
    try:
        # within a poll plus a refresh (DOWN_WITHIN), without a reload (the page's own script asks /api/links)
        before = browser.execute_script("return performance.getEntriesByType('navigation').length")
        cut = time.monotonic()
        WebDriverWait(browser, DOWN_WITHIN).until(lambda d: "state-down" in row_state(d, "dinkes"))
        print(f"dinkes down on the board {time.monotonic() - cut:.1f} s after the cut")
        assert browser.execute_script("return performance.getEntriesByType('navigation').length") == before
        assert "state-up" in row_state(browser, "disdik")
        browser.find_element(By.CSS_SELECTOR, 'button.triage[data-opd="dinkes"]').click()
        out = browser.find_element(By.ID, "triage-text")
        WebDriverWait(browser, 30).until(lambda d: out.get_attribute("data-verdict"))
        assert out.get_attribute("data-verdict") == "circuit-down", out.text
        assert out.text.index("… icmp:") < out.text.index("dinkes: circuit-down")  # probes shown as they finish
        browser.set_window_size(390, 844)
        browser.save_screenshot(str(shots() / "board-390x844.png"))
        # the link's page: the provider's evidence pack from the agent's records, while the link is cut
        browser.get(f"http://{WEB}/links/dinkes-wan")
        pack = browser.find_element(By.CSS_SELECTOR, "pre.pack").text
        assert "paket bukti untuk" in pack and "sirkuit " in pack and "sekarang: loss 100%" in pack, pack
        assert "gangguan sejak: tidak tercatat" not in pack, pack  # the agent recorded when it went down
        browser.save_screenshot(str(shots() / "link-390x844.png"))
        escalated_from_the_page(site, state, browser)
    finally:
        faults.clear()


def escalated_from_the_page(site: Runner, state: Path, browser: webdriver.Chrome) -> None:
    """A dinkes ticket opened, assigned, triaged and escalated on the page: the verdict and triage's fresh
    pack are on the ticket, in the page user's name."""
    browser.get(f"http://{WEB}/tickets")
    browser.find_element(By.NAME, "reporter").send_keys("Pak Joko (Dinas Kesehatan)")
    browser.find_element(By.NAME, "text").send_keys("jaringan putus")
    browser.find_element(By.CSS_SELECTOR, 'select[name="opd"] option[value="dinkes"]').click()
    browser.find_element(By.CSS_SELECTOR, "form.ticket button").click()
    listed = json.loads(pantau(site, state, "ticket", "list", "--json").stdout)
    [number] = [t["id"] for t in listed if t["reporter"] == "Pak Joko (Dinas Kesehatan)"]
    browser.get(f"http://{WEB}/tickets/{number}")

    def text_of(selector: str) -> str:
        """One element's text, read in one script: the page is replaced as it loads, and an element found in
        one WebDriver call can be gone by the next (chromium then answers an inspector error, not a stale
        reference)."""
        script = "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';"
        return str(browser.execute_script(script, selector))

    def state_is(word: str, within: float) -> None:
        WebDriverWait(browser, within).until(lambda d: text_of("main p b") == word)

    browser.find_element(By.CSS_SELECTOR, "button.step-assign").click()
    state_is("assigned", 10)
    browser.find_element(By.CSS_SELECTOR, "button.step-triage").click()  # the verdict, on the ticket
    WebDriverWait(browser, 40).until(lambda d: "circuit-down" in text_of("main p"))
    browser.find_element(By.CSS_SELECTOR, "button.step-escalate").click()  # triage runs first: seconds
    state_is("escalated", 40)
    shown = json.loads(pantau(site, state, "ticket", "show", str(number), "--json").stdout)
    assert shown["verdict"] == "circuit-down" and [e["step"] for e in shown["events"]][-2:] == ["triage", "escalate"]
    [escalation] = [e for e in shown["events"] if e["step"] == "escalate"]
    assert escalation["by"] == "andi" and "verdict saat eskalasi: circuit-down" in escalation["text"], escalation
    assert "paket bukti untuk" in escalation["text"]


def test_an_uplink_outage_is_shown_once_on_top_as_the_cause_while_the_opd_links_stay_up(
    site: Runner, browser: webdriver.Chrome
) -> None:
    log_in(browser, "andi")
    # the test before cut dinkes: the board shows it back up before the uplink is cut, or the row below
    # would still be that test's outage
    WebDriverWait(browser, DOWN_WITHIN).until(lambda d: "state-up" in row_state(d, "dinkes"))
    faults = Faults(site)
    faults.inject("uplink-down")
    try:
        cause = browser.find_element(By.ID, "cause")
        WebDriverWait(browser, DOWN_WITHIN).until(lambda d: cause.get_attribute("data-cause") == "upstream")
        assert cause.is_displayed() and "Uplink internet pusat data tidak menjawab" in cause.text, cause.text
        assert "state-up" in row_state(browser, "dinkes")  # the OPD's own link is not what failed
    finally:
        faults.clear()
    WebDriverWait(browser, DOWN_WITHIN).until(lambda d: not d.find_element(By.ID, "cause").is_displayed())


def test_a_ticket_opened_on_the_page_is_the_clis_and_a_forged_post_is_refused(
    site: Runner, state: Path, browser: webdriver.Chrome
) -> None:
    log_in(browser, "andi")
    browser.get(f"http://{WEB}/tickets")
    browser.find_element(By.NAME, "reporter").send_keys("Bu Sari (Dinas Perhubungan)")
    browser.find_element(By.NAME, "text").send_keys("internet mati sejak pagi")
    browser.find_element(By.CSS_SELECTOR, 'select[name="opd"] option[value="dishub"]').click()
    browser.find_element(By.CSS_SELECTOR, "form.ticket button").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.board tbody tr"))
    listed = json.loads(pantau(site, state, "ticket", "list", "--json").stdout)
    opened = [t for t in listed if t["reporter"] == "Bu Sari (Dinas Perhubungan)"]
    assert [(t["opd"], t["state"]) for t in opened] == [("dishub", "open")]
    shown = json.loads(pantau(site, state, "ticket", "show", str(opened[0]["id"]), "--json").stdout)
    assert "andi" in json.dumps(shown)  # the page's user is the ticket's operator
    status = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/tickets', {method: 'POST', body: new URLSearchParams({opd: 'dishub', channel: 'phone',"
        " reporter: 'x', text: 'forged'})}).then(r => done(r.status));"
    )
    assert status == 403
    assert len(json.loads(pantau(site, state, "ticket", "list", "--json").stdout)) == len(listed)


def test_a_viewer_sees_the_board_but_has_no_actions_and_is_refused_if_it_tries(
    site: Runner, browser: webdriver.Chrome
) -> None:
    log_in(browser, "vina")
    assert browser.find_elements(By.CSS_SELECTOR, "button.triage") == []
    csrf = browser.find_element(By.ID, "board").get_attribute("data-csrf")
    status = browser.execute_async_script(
        "const done = arguments[1];"
        "fetch('/triage/dinkes', {method: 'POST', body: new URLSearchParams({csrf: arguments[0]})})"
        ".then(r => done(r.status));",
        csrf,
    )
    assert status == 403


def test_a_runbook_and_the_on_call_card_read_on_a_phone_without_scrolling_sideways(
    site: Runner, browser: webdriver.Chrome
) -> None:
    browser.set_window_size(390, 844)
    sideways = "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    browser.get(f"http://{WEB}/runbooks/PantauOpdLinkDown")  # as opened from an alert: no login asked
    assert "Link WAN satu OPD putus" in browser.find_element(By.CSS_SELECTOR, "article.runbook").text
    assert browser.execute_script(sideways) <= 0
    browser.save_screenshot(str(shots() / "runbook-390x844.png"))
    log_in(browser, "andi")
    browser.get(f"http://{WEB}/oncall")
    assert "Kartu piket" in browser.find_element(By.TAG_NAME, "h1").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "article.oncall ol li")) == 5
    assert browser.execute_script(sideways) <= 0
    browser.save_screenshot(str(shots() / "oncall-390x844.png"))
