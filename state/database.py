"""What a repository needs of the Store: its engines, and its transactions (state.store.Store is the one
implementation). Typed as a protocol so the repositories and the Store do not import each other."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from rulewatch.state.recorder import HealthRules, Recorder

_T = TypeVar("_T")


class Database(Protocol):
    url: str
    engine: Engine  # reads
    writer: Engine  # writes (on SQLite, BEGIN IMMEDIATE)

    def write(self, records: Callable[[Recorder], _T], health: HealthRules | None = None) -> _T: ...

    def batch(self, health: HealthRules | None = None) -> AbstractContextManager[Recorder]: ...

    def begin_write(self) -> AbstractContextManager[Connection]: ...
