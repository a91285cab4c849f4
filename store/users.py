"""The status page's users (name, role, bcrypt hash) and their browser sessions in the store. Hashing and
checking passwords is the caller's (agent.web.auth); the store keeps hashes and token digests only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import RuleError
from i18n import Msg
from store.errors import NotFound
from store.schema import User, WebSession
from store.translate import translated


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    created_at: datetime
    password_hash: str = ""


@dataclass(frozen=True)
class SessionInfo:
    user: str
    role: str
    csrf: str
    expires_at: datetime


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.name, u.role, u.created_at, u.password_hash)


@translated("adding a user")
def add_user(store: Engine, name: str, role: str, password_hash: str) -> UserInfo:
    try:
        with Session(store) as s, s.begin():
            row = User(name=name, role=role, password_hash=password_hash, created_at=datetime.now(UTC))
            s.add(row)
            s.flush()
            return _info(row)
    except IntegrityError:
        raise RuleError(
            Msg("user '{name}' exists; change the password with pantau user passwd {name}", name=name)
        ) from None


@translated("reading users")
def users(store: Engine) -> list[UserInfo]:
    with Session(store) as s:
        return [_info(u) for u in s.scalars(select(User).order_by(User.name))]


@translated("reading a user")
def user(store: Engine, name: str) -> UserInfo | None:
    with Session(store) as s:
        row = s.scalar(select(User).where(User.name == name))
        return None if row is None else _info(row)


@translated("removing a user")
def remove_user(store: Engine, name: str) -> None:
    """Remove ``name`` and end every session of theirs."""
    with Session(store) as s, s.begin():
        row = s.scalar(select(User).where(User.name == name))
        if row is None:
            raise NotFound(Msg("no user '{name}'; see pantau user list", name=name))
        s.execute(delete(WebSession).where(WebSession.user_id == row.id))
        s.delete(row)


@translated("changing a password")
def set_password(store: Engine, name: str, password_hash: str) -> None:
    """A new password hash for ``name``; their sessions end (a changed password logs every browser out)."""
    with Session(store) as s, s.begin():
        row = s.scalar(select(User).where(User.name == name))
        if row is None:
            raise NotFound(Msg("no user '{name}'; see pantau user list", name=name))
        row.password_hash = password_hash
        s.execute(delete(WebSession).where(WebSession.user_id == row.id))


@translated("starting a session")
def new_session(store: Engine, user_id: int, token_hash: str, csrf: str, expires_at: datetime) -> None:
    with Session(store) as s, s.begin():
        now = datetime.now(UTC)
        s.execute(delete(WebSession).where(WebSession.expires_at < now))  # the expired go as new ones come
        s.add(WebSession(token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=now, expires_at=expires_at))


@translated("reading a session")
def session(store: Engine, token_hash: str, now: datetime) -> SessionInfo | None:
    """The live session of ``token_hash``, or None (unknown, expired, or its user removed)."""
    with Session(store) as s:
        row = s.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == token_hash)
        ).first()
        if row is None or row[0].expires_at <= now:
            return None
        return SessionInfo(row[1].name, row[1].role, row[0].csrf, row[0].expires_at)


@translated("ending a session")
def end_session(store: Engine, token_hash: str) -> None:
    with Session(store) as s, s.begin():
        s.execute(delete(WebSession).where(WebSession.token_hash == token_hash))
