"""Who a run or a ticket step is recorded as."""

from __future__ import annotations

import getpass

import pytest

from playbooks.engine import operator


def test_a_named_operator_then_the_sudo_caller_then_the_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_OPERATOR", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)
    assert operator() == getpass.getuser()
    monkeypatch.setenv("SUDO_USER", "siti")  # sudo -u pantau pantau colocate ...
    assert operator() == "siti"
    monkeypatch.setenv("PANTAU_OPERATOR", "budi")
    assert operator() == "budi"
