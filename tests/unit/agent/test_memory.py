"""The agent's heap: collections paced while it runs, a long-lived inventory out of the collector's walks."""

from __future__ import annotations

import gc
import weakref

import pytest

from agent import memory


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> object:
    before = (gc.isenabled(), gc.get_threshold())
    yield
    gc.unfreeze()
    gc.set_threshold(*before[1])
    if before[0]:
        gc.enable()


def test_building_pauses_the_collector_and_turns_it_back_on() -> None:
    assert gc.isenabled()
    with memory.building():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_building_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    with memory.building():
        pass
    assert not gc.isenabled()


def test_building_turns_the_collector_back_on_after_an_error() -> None:
    with pytest.raises(ValueError), memory.building():
        raise ValueError("a file that does not validate")
    assert gc.isenabled()


def test_held_objects_leave_the_collectors_generations() -> None:
    kept = [Node() for _ in range(100)]
    memory.hold_long_lived()
    assert gc.get_freeze_count() >= len(kept)
    tracked = {id(o) for o in gc.get_objects()}
    assert not any(id(node) in tracked for node in kept)


def test_a_cycle_held_before_a_reload_is_freed_by_the_next_hold() -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    gone = weakref.ref(a)
    memory.hold_long_lived()  # the inventory that a reload will replace
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: no collection walks it
    memory.hold_long_lived()  # after the reload
    assert gone() is None


def test_paced_collections_have_no_automatic_full_collection_and_end_as_they_were() -> None:
    before = gc.get_threshold()
    with memory.paced():
        young, middle, full = gc.get_threshold()
        assert (young, middle) == memory.PACE[:2] and full >= 2**30
    assert gc.get_threshold() == before


def test_collect_frees_a_cycle_made_while_paced() -> None:
    with memory.paced():
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        memory.collect()
        assert gone() is None


def test_release_gives_held_objects_back_to_the_collector() -> None:
    kept = [Node() for _ in range(10)]
    memory.hold_long_lived()
    memory.release()
    assert gc.get_freeze_count() == 0
    tracked = {id(o) for o in gc.get_objects()}
    assert all(id(node) in tracked for node in kept)
