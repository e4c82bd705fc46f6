"""Reading a corpus: which files it holds (scan.py), and each one's text with its structure (load.py, through
the format loaders in formats/). Nothing here knows about embedding or storage."""

from index.reading.formats import LOADERS, SUFFIXES, Extracted, LoadError, declared_format
from index.reading.load import load_document, open_in_corpus, parse_document, read_corpus_text, shorten
from index.reading.scan import scan_corpus

__all__ = ["LOADERS", "SUFFIXES", "Extracted", "LoadError", "declared_format", "load_document", "open_in_corpus",
           "parse_document", "read_corpus_text", "scan_corpus", "shorten"]
