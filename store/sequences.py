"""The yearly sequences of the agency's document numbers (Berita Acara, reports, bandwidth maps)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from store.schema import ReportSequence
from store.translate import translated


def next_seq(s: Session, kind: str, year: int) -> int:
    """The year's next number of ``kind``, taken in one statement, so that processes numbering at once (the
    scheduler's maintenance and a technician's) each get their own: the UPDATE holds the row (SQLite: the
    database) until the transaction ends."""
    seq = ReportSequence.__table__.c
    taken = s.execute(
        update(ReportSequence)
        .where(seq.kind == kind, seq.year == year)
        .values(last=seq.last + 1)
        .returning(seq.last)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        s.add(ReportSequence(kind=kind, year=year, last=1))
        s.flush()
        return 1
    return int(taken)


@translated("numbering a document")
def take(store: Engine, kind: str, year: int) -> int:
    """The year's next number of ``kind``, in a transaction of its own (a document numbered on its own)."""
    with Session(store) as s, s.begin():
        return next_seq(s, kind, year)
