"""Reading a corpus: which files it holds (scan.py), and each one's text with its structure (load.py, through
the format loaders in formats/). Nothing here knows about embedding or storage. The loading half is imported
when first used: a question's refresh check only scans the corpus."""

from typing import TYPE_CHECKING, Any

from index.reading.formats import LOADERS, SUFFIXES, Extracted, LoadError, declared_format
from index.reading.scan import scan_corpus

if TYPE_CHECKING:
    from index.reading.load import load_document, open_in_corpus, parse_document, read_corpus_text, shorten

__all__ = ["LOADERS", "SUFFIXES", "Extracted", "LoadError", "declared_format", "load_document", "open_in_corpus",
           "parse_document", "read_corpus_text", "scan_corpus", "shorten"]
_LOAD = frozenset({"load_document", "open_in_corpus", "parse_document", "read_corpus_text", "shorten"})


def __getattr__(name: str) -> Any:
    if name in _LOAD:
        from index.reading import load

        return getattr(load, name)
    raise AttributeError(f"module 'index.reading' has no attribute {name!r}")
