"""qa/lazy_re.py: a module-level pattern compiled at its first use, then read as the compiled pattern itself."""

from __future__ import annotations

import re


def _module(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "lazy_probe"}
    exec(compile(source, "lazy_probe.py", "exec"), namespace)  # noqa: S102 - a module of the test's own
    return namespace


SOURCE = '''
import re
from qa.lazy_re import compile_lazily

_WORD = compile_lazily(r"\\b(?P<w>colou?r)\\b", re.I)
_UNUSED = compile_lazily(r"never(?: read)?")
_BUILT = compile_lazily(rf"the {_WORD.pattern}")


def find(text):
    m = _WORD.search(text)
    return m and m.group("w")
'''


def test_a_pattern_is_compiled_at_its_first_use_and_then_read_directly() -> None:
    module = _module(SOURCE)
    assert not isinstance(module["_WORD"], re.Pattern)  # nothing compiled at import
    assert module["_BUILT"].pattern == r"the \b(?P<w>colou?r)\b"  # type: ignore[attr-defined]
    assert not isinstance(module["_WORD"], re.Pattern)  # reading its source compiled nothing
    assert module["find"]("The COLOUR red") == "COLOUR"  # type: ignore[operator]
    compiled = module["_WORD"]
    assert isinstance(compiled, re.Pattern) and compiled.flags & re.I  # the module now holds the pattern itself
    assert compiled.groupindex == {"w": 1}
    assert not isinstance(module["_UNUSED"], re.Pattern)


def test_a_stand_in_kept_elsewhere_still_answers_as_the_pattern() -> None:
    """A reference taken before the first use (a tuple, another module's import) keeps working, and the
    module's own name is rebound all the same."""
    module = _module(SOURCE)
    kept = module["_UNUSED"]
    assert kept.fullmatch("never read") is not None and kept.sub("-", "never, never") == "-, -"  # type: ignore[attr-defined]
    assert isinstance(module["_UNUSED"], re.Pattern) and module["_UNUSED"] is not kept
    assert kept.pattern == module["_UNUSED"].pattern  # type: ignore[attr-defined]


def test_the_answer_path_keeps_no_stand_in_where_rebinding_cannot_reach() -> None:
    """A stand-in in a module-level tuple, list or dict would never be replaced, and would pay a Python call at
    every use on the warm path: the answer path's modules keep none there."""
    import qa.answer
    import qa.reader
    from qa.lazy_re import _Lazy

    for module in (qa.reader, qa.answer):
        for name, value in vars(module).items():
            items = value.values() if isinstance(value, dict) else value \
                if isinstance(value, tuple | list | set | frozenset) else ()
            assert not any(isinstance(v, _Lazy) for v in items), f"{module.__name__}.{name}"
            if isinstance(value, tuple | list):
                assert not any(isinstance(x, _Lazy) for v in value if isinstance(v, tuple) for x in v), name
