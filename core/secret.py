"""A credential that never shows itself: not in repr(), str(), logs or tracebacks of rulewatch's own."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Secret:
    """A credential that does not show itself in repr(), str() or logs; `reveal()` hands it to a client."""

    _value: str = field(default="", repr=False)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__
