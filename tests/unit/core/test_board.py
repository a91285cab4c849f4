"""The whole board among agents sharing a store: this agent's entries from memory, the others' from the
store while fresh, and a link nobody renews shown as unknown with who last polled it."""

from __future__ import annotations

from core.board import STALE, UNPOLLED, Entry, Stored, merge

LINKS = [("dinkes-wan", "dinkes", 20_000_000), ("disdik-wan", "disdik", 10_000_000), ("bappeda-wan", "bappeda", 5)]
NOW = 1_000_000.0


def test_own_entries_win_fresh_stored_ones_fill_in_and_the_order_is_the_inventorys() -> None:
    own = [Entry("disdik-wan", "disdik", "up", in_bps=1e6, agent="nms-a")]
    stored = [
        Stored(Entry("disdik-wan", "disdik", "down", agent="nms-b"), NOW - 1),  # before nms-a took it over
        Stored(Entry("dinkes-wan", "dinkes", "degraded", ("loss",), agent="nms-b"), NOW - 5),
        Stored(Entry("bappeda-wan", "bappeda", "up", agent="nms-c"), NOW - 3),
    ]
    board = merge(LINKS, own, stored, NOW, fresh=40)
    assert [(e.link, e.state, e.agent) for e in board] == [
        ("dinkes-wan", "degraded", "nms-b"),
        ("disdik-wan", "up", "nms-a"),
        ("bappeda-wan", "up", "nms-c"),
    ]
    assert board[0].reasons == ("loss",)


def test_an_entry_nobody_renewed_is_unknown_and_says_who_polled_it_last() -> None:
    stored = [Stored(Entry("dinkes-wan", "dinkes", "up", in_bps=5e6, agent="nms-b"), NOW - 41)]
    dinkes, disdik, _ = merge(LINKS, [], stored, NOW, fresh=40)
    assert (dinkes.state, dinkes.reasons, dinkes.agent, dinkes.since) == ("unknown", (STALE,), "nms-b", NOW - 41)
    assert dinkes.in_bps is None and dinkes.subscribed_bps == 20_000_000  # no figure passed off as current
    assert (disdik.state, disdik.reasons, disdik.agent) == ("unknown", (UNPOLLED,), "")


def test_an_entry_round_trips_through_json_and_ignores_fields_it_does_not_know() -> None:
    entry = Entry("dinkes-wan", "dinkes", "down", ("oper-down",), "link", 12.5, None, 3.0, 20, 0.1, 1.0, None, "a")
    assert Entry.from_json(entry.to_json()) == entry
    assert Entry.from_json(entry.to_json() | {"added_later": 1}) == entry
