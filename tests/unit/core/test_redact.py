"""Secrets never leave the collector's answer: each platform's rules hide every planted secret, keep every
other line as it was, and show a changed secret as a changed fingerprint."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.redact import MARKER, redact, secrets_changed
from platforms import discover

CONFIGS = Path(__file__).parent / "configs"
KEY = b"k" * 32
#: each platform's secret rules (platforms/), for the platforms that read a configuration
RULES = {p.name: p.redaction for p in discover() if p.redaction}
PLANTED = {
    "frr": ["zebra-Plant1", "Plant2-enable", "Plant3-keychain", "Plant4-md5", "Plant5-simple", "Plant6-bgp"],
    "cisco_ios": [f"Plant{i}" for i in range(1, 31)],
    "huawei_vrp": [f"Plant{i}" for i in range(1, 11)],
    "mikrotik_routeros": [f"Plant{i}" for i in range(1, 13)],
}


@pytest.mark.parametrize("platform", sorted(PLANTED))
def test_every_planted_secret_is_hidden_and_every_other_line_kept(platform: str) -> None:
    text = (CONFIGS / f"{platform}.cfg").read_text()
    assert all(secret in text for secret in PLANTED[platform])  # the fixture really carries them
    hidden = redact(RULES[platform], text, KEY)
    assert not re.search(r"Plant\d", hidden), [line for line in hidden.splitlines() if re.search(r"Plant\d", line)]
    kept = [(a, b) for a, b in zip(text.splitlines(), hidden.splitlines(), strict=True) if "Plant" not in a]
    assert all(a == b for a, b in kept)  # lines without a secret are untouched
    assert hidden.count(MARKER) >= len(PLANTED[platform])


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
