"""Secrets never leave the collector's answer: each platform's rules hide every planted secret, keep every
other line as it was, and show a changed secret as a changed fingerprint."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.redact import MARKER, redact, secrets_changed
from platforms import discover

CONFIGS = Path(__file__).parent / "configs"
KEY = b"k" * 32
#: each platform's secret rules (platforms/), for the platforms that read a configuration
RULES = {p.name: p.redaction for p in discover() if p.redaction}
PLANTED = {
    "frr": [
        "zebra-Plant1",
        "Plant2-enable",
        "Plant3-keychain",
        "Plant4-md5",
        "Plant5-simple",
        "Plant6-bgp",
        "Plant7-rip",
        "Plant8-isis",
        "Plant9-area",
        "Plant10-domain",
    ],
    "cisco_ios": [f"Plant{i}" for i in range(1, 32)],
    "huawei_vrp": [f"Plant{i}" for i in range(1, 11)],
    "mikrotik_routeros": [f"Plant{i}" for i in range(1, 13)],
    "fortinet": [f"Plant{i}" for i in range(1, 23)],
    "juniper_junos": [f"Plant{i}" for i in range(1, 20)],
    "ruijie_os": [f"Plant{i}" for i in range(1, 21)],
    "ubiquiti_edgerouter": [f"Plant{i}" for i in range(1, 15)],
}
#: a secret's value as a configuration writes it: double-quoted (with backslash escapes), single-quoted, a word
TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|[^\s=\"']+")  # a word ends at "=" (RouterOS's key=value)
FINGERPRINT = re.compile(re.escape(MARKER) + r"[0-9a-f]{8}>")


@pytest.mark.parametrize("platform", sorted(PLANTED))
def test_every_planted_secret_is_hidden_and_every_other_line_kept(platform: str) -> None:
    text = (CONFIGS / f"{platform}.cfg").read_text()
    assert all(secret in text for secret in PLANTED[platform])  # the fixture really carries them
    named = {name for secret in PLANTED[platform] for name in re.findall(r"Plant\d+", secret)}
    assert set(re.findall(r"Plant\d+", text)) == named  # and the test names every one it carries
    hidden = redact(RULES[platform], text, KEY)
    assert not re.search(r"Plant\d", hidden), [line for line in hidden.splitlines() if re.search(r"Plant\d", line)]
    # lines without a secret are untouched, in their order (a secret over several lines, a private key, is one)
    kept = [line for line in text.splitlines() if "Plant" not in line and "PRIVATE KEY-----" not in line]
    rest = iter(hidden.splitlines())
    assert all(any(line == other for other in rest) for line in kept)
    assert hidden.count(MARKER) >= len(PLANTED[platform])


def test_every_secret_rule_has_a_planted_secret_to_hide() -> None:
    """The fixtures cover the rules: each rule alone hides something in the fixture of a platform that has it
    (so the fuzz test below plants values in every keyword position the rules know)."""
    texts = {platform: (CONFIGS / f"{platform}.cfg").read_text() for platform in PLANTED}
    idle = {
        rule
        for platform in PLANTED
        for rule in RULES[platform]
        if all(redact((rule,), texts[p], KEY) == texts[p] for p in PLANTED if rule in RULES[p])
    }
    assert idle == set()


def _positions(text: str) -> list[tuple[int, int, str]]:
    """Where each planted secret's value stands in ``text``: (start, end, quote or "" for a word); a value
    that begins a line (inside a key over several lines) is left out."""
    found = []
    at = 0
    for line in text.splitlines(keepends=True):
        for token in TOKEN.finditer(line):
            if "Plant" in token.group() and token.start() > 0:
                quote = token.group()[0] if token.group()[0] in "\"'" else ""
                found.append((at + token.start(), at + token.end(), quote))
        at += len(line)
    return found


PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)


@st.composite
def planted(draw: st.DrawFn, platform: str) -> tuple[str, str]:
    """The platform's fixture with one secret position given a random value (written as the device would
    write it there), and that value."""
    text = (CONFIGS / f"{platform}.cfg").read_text()
    start, end, quote = draw(st.sampled_from(_positions(text)))
    if quote == '"':
        value = draw(st.text(PRINTABLE, min_size=1, max_size=40))
        written = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif quote == "'":
        value = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="'"), min_size=1))
        written = f"'{value}'"
    else:
        value = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40))
        written = value
    return text[:start] + written + text[end:], written


@pytest.mark.parametrize("platform", sorted(PLANTED))
def test_any_value_in_any_secret_position_is_hidden_whole(platform: str) -> None:
    """Fuzz: a random value (spaces, quotes, backslashes, keywords) in each keyword position of the fixture is
    hidden whole: the redacted configuration is the same as with the fixture's own value, fingerprints
    aside."""
    fixture = (CONFIGS / f"{platform}.cfg").read_text()
    expected = FINGERPRINT.sub("<h>", redact(RULES[platform], fixture, KEY))
    # values the configuration's own syntax makes ambiguous, for the device's parser as for these rules: one
    # digit alone (Cisco's encryption type), one of the configuration's keywords (then a word beside it may
    # read as a secret too: more is hidden, nothing kept), a value in the hidden form already
    words = set(re.findall(r"[^\s\"'=]+", fixture))

    @settings(max_examples=150, deadline=None)
    @given(planted(platform))
    def check(case: tuple[str, str]) -> None:
        text, written = case
        value = written.strip("\"'")
        assume(not re.fullmatch(r"[0-9]", value) and value not in words and not FINGERPRINT.fullmatch(value))
        assert FINGERPRINT.sub("<h>", redact(RULES[platform], text, KEY)) == expected

    check()


def test_key_chain_numbers_and_interface_lines_are_not_taken_for_secrets() -> None:
    text = "key chain ospf\n key 1\n  key-string s3cret\ninterface eth0\n description password policy\n"
    hidden = redact(RULES["cisco_ios"], text, KEY)
    assert " key 1\n" in hidden and "s3cret" not in hidden and "description password policy" in hidden


def test_a_changed_secret_changes_its_fingerprint_and_is_counted_in_the_diff() -> None:
    before = redact(RULES["frr"], "hostname core\npassword old-one\nenable password same\n", KEY)
    after = redact(RULES["frr"], "hostname core\npassword new-one\nenable password same\n", KEY)
    assert before != after and "old-one" not in before + after and "new-one" not in before + after
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm=""))
    assert secrets_changed(diff) == 1
    added = redact(RULES["frr"], "hostname core\npassword new-one\nenable password set-now\n", KEY)
    assert secrets_changed(list(difflib.unified_diff(before.splitlines(), added.splitlines(), lineterm=""))) == 2
    unchanged = list(difflib.unified_diff(before.splitlines(), (before + "banner motd x\n").splitlines(), lineterm=""))
    assert secrets_changed(unchanged) == 0
    assert redact(RULES["frr"], "password old-one\n", KEY) != redact(RULES["frr"], "password old-one\n", b"other" * 8)


@pytest.mark.parametrize("platform", sorted(RULES))
def test_redacting_twice_changes_nothing_more(platform: str) -> None:
    text = (CONFIGS / f"{platform}.cfg").read_text()
    once = redact(RULES[platform], text, KEY)
    assert redact(RULES[platform], once, KEY) == once


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40))
def test_any_word_as_a_password_is_hidden(secret: str) -> None:
    text = f"hostname r1\nenable password {secret}\n"
    hidden = redact(RULES["frr"], text, KEY)
    assert hidden.splitlines()[1].startswith(f"enable password {MARKER}")
    assert hidden.splitlines()[1].count(" ") == 2  # one word stays one word


def test_a_quoted_value_with_escaped_quotes_is_hidden_whole_and_a_masked_keyring_hides_the_key() -> None:
    routeros = redact(RULES["mikrotik_routeros"], '/user add name=a password="x \\"y z\\" w" group=read\n', KEY)
    assert re.fullmatch(rf"/user add name=a password={re.escape(MARKER)}[0-9a-f]{{8}}> group=read\n", routeros)
    ios = redact(RULES["cisco_ios"], " pre-shared-key address 203.0.113.0 255.255.255.0 key K1\n", KEY)
    assert ios.startswith(" pre-shared-key address 203.0.113.0 255.255.255.0 key <secret-hidden:"), ios
