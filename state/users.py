"""The web workspace's accounts and its login attempts (a repository of the Store). A removed account is
marked, not deleted, so what it decided keeps a name that existed. Hashing passwords is the use case's
(rulewatch.services.users); this module keeps the hashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from rulewatch.state import schema
from rulewatch.state.records import utcnow

if TYPE_CHECKING:
    from rulewatch.state.database import Database

_U, _L = schema.users, schema.logins


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str
    password_hash: str
    created_at: str
    created_by: str
    removed_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "created_at": self.created_at, "created_by": self.created_by,
                "removed_at": self.removed_at}


def _account(row: Any) -> Account:
    return Account(row["name"], row["role"], row["password_hash"], row["created_at"], row["created_by"],
                   row["removed_at"])


class Users:
    """Accounts, and the record of logins that slows guessing."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, role: str, password_hash: str, by: str) -> bool:
        """A new account; False when an account of that name exists (a removed one too: names are not reused)."""
        def write(recorder: Any) -> bool:
            try:
                with recorder.conn.begin_nested():
                    recorder.conn.execute(insert(_U).values(name=name, role=role, password_hash=password_hash,
                                                            created_at=utcnow(), created_by=by))
            except IntegrityError:
                return False
            return True
        added: bool = self.db.write(write)
        return added

    def get(self, name: str) -> Account | None:
        """An account in use (not removed)."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(_U).where(_U.c.name == name, _U.c.removed_at.is_(None))).mappings().first()
        return _account(row) if row is not None else None

    def all(self, include_removed: bool = False) -> list[Account]:
        query = select(_U).order_by(_U.c.name)
        if not include_removed:
            query = query.where(_U.c.removed_at.is_(None))
        with self.db.engine.connect() as conn:
            return [_account(r) for r in conn.execute(query).mappings()]

    def change(self, name: str, **values: str) -> bool:
        """Set an account's password_hash or role; False when there is no such account in use."""
        def write(recorder: Any) -> bool:
            done = recorder.conn.execute(update(_U).where(_U.c.name == name, _U.c.removed_at.is_(None))
                                         .values(**values))
            return bool(done.rowcount)
        changed: bool = self.db.write(write)
        return changed

    def remove(self, name: str) -> bool:
        return self.change(name, removed_at=utcnow())

    def record_login(self, name: str, address: str, ok: bool) -> None:
        self.db.write(lambda recorder: recorder.conn.execute(
            insert(_L).values(name=name[:200], address=address[:100], ok=ok, at=utcnow())))

    def failures_since(self, since: str, name: str, address: str) -> int:
        """Failed logins since `since` for this name or from this address (whichever is more)."""
        with self.db.engine.connect() as conn:
            counts = [conn.execute(select(func.count()).select_from(_L).where(
                _L.c.ok.is_(False), _L.c.at >= since, column == value)).scalar() or 0
                for column, value in ((_L.c.name, name), (_L.c.address, address))]
        return int(max(counts))
