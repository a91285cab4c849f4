"""The queue lock between processes: one holder at a time, entering in the order tickets were taken,
and a holder killed inside does not stop the queue."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

from store.queue_lock import queue_lock


def _worker(directory: str, rounds: int) -> None:
    log = Path(directory) / "log"
    for _ in range(rounds):
        with queue_lock(Path(directory), "q") as ticket, log.open("a") as f:
            f.write(f"in {ticket} {os.getpid()}\n")
            f.flush()
            time.sleep(0.001)  # another holder inside now would write between these lines
            f.write(f"out {ticket} {os.getpid()}\n")


def test_holders_never_overlap_and_enter_in_ticket_order(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), 25)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = (tmp_path / "log").read_text().split("\n")[:-1]
    assert len(lines) == 2 * 6 * 25
    tickets = []
    for enter, leave in zip(lines[::2], lines[1::2], strict=True):
        assert enter.startswith("in ") and leave == "out" + enter[2:]  # nobody else inside meanwhile
        tickets.append(int(enter.split()[1]))
    assert tickets == list(range(6 * 25))  # first come, first served


def _hold_forever(directory: str) -> None:
    with queue_lock(Path(directory), "q"):
        (Path(directory) / "holding").touch()
        time.sleep(600)


def test_a_holder_killed_inside_lets_the_next_one_in(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    holder = ctx.Process(target=_hold_forever, args=(str(tmp_path),))
    holder.start()
    try:
        while not (tmp_path / "holding").exists():
            assert holder.is_alive()
            time.sleep(0.01)
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)
        with queue_lock(tmp_path, "q") as ticket:
            assert ticket == 1
    finally:
        if holder.is_alive():
            holder.kill()
            holder.join()
