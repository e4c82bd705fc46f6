"""Patterns compiled at their first use, not at import.

The answer path's modules hold about a hundred module-level patterns. Python compiles a pattern in Python
code, once per process: ~30 ms of a cold `qa ask`, of which a single question used about a third (measured on
documentation and wiki questions: a question of one kind never reads the others' patterns). `compile_lazily`
stands in for `re.compile` at a module's top level. At its first use the pattern is compiled and put in its
module's namespace in place of the stand-in, so the module's functions then read the compiled pattern itself,
as fast as before.
"""

from __future__ import annotations

import re
import sys
from typing import Any, cast


class _Lazy:
    __slots__ = ("_compiled", "_flags", "_namespace", "pattern")

    def __init__(self, pattern: str, flags: int, namespace: dict[str, Any]) -> None:
        self.pattern = pattern
        """The source, as `re.Pattern.pattern` (read without compiling: patterns built from others use it)."""
        self._flags = flags
        self._namespace = namespace
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:  # search, match, finditer, sub, groupindex, ...
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self._flags)
            for key, value in list(self._namespace.items()):
                if value is self:
                    self._namespace[key] = compiled
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"compile_lazily({self.pattern!r})"


def compile_lazily(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)` at the first use of the result (see the module's docstring). Only for a
    module-level name whose pattern is used through its methods and attributes: `re.sub(it, ...)` or
    `isinstance(it, re.Pattern)` would see the stand-in."""
    return cast("re.Pattern[str]", _Lazy(pattern, flags, sys._getframe(1).f_globals))
