"""The layout of a local index generation: its SQLite schema and the files whose bytes are checksummed."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL UNIQUE, title TEXT NOT NULL, date TEXT, place TEXT,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    body_start INTEGER NOT NULL, text TEXT NOT NULL, format TEXT NOT NULL, encoding TEXT, indexed REAL
);
CREATE TABLE pages (
    doc_id INTEGER NOT NULL, number INTEGER NOT NULL, label TEXT, start INTEGER NOT NULL, end INTEGER NOT NULL,
    ocr INTEGER NOT NULL, PRIMARY KEY (doc_id, number)
);
CREATE TABLE anchors (
    doc_id INTEGER NOT NULL, start INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL
);
CREATE TABLE sections (
    doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, level INTEGER NOT NULL,
    title TEXT NOT NULL
);
CREATE TABLE units (
    doc_id INTEGER NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, start INTEGER NOT NULL,
    end INTEGER NOT NULL, parent INTEGER NOT NULL, PRIMARY KEY (doc_id, idx)
);
CREATE TABLE names (key TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    n_tokens INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL
);
CREATE TABLE skipped (
    source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX sentences_doc ON sentences(doc_id);
CREATE TABLE title_keys (key TEXT NOT NULL, doc_id INTEGER NOT NULL, whole INTEGER NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX title_keys_key ON title_keys(key);
CREATE INDEX sections_doc ON sections(doc_id);
CREATE INDEX anchors_doc ON anchors(doc_id, start);
"""
TABLES = frozenset({"documents", "sentences", "chunks", "skipped", "pages", "sections", "title_keys", "units",
                    "names", "anchors"})

KEYWORD_FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy", "term_max.npy",
                 "vocab.index.json", "params.index.json")
CHECKSUMMED = ("chunks.npy", "sentences.npy", "chunk_table.npy", *(f"bm25/{name}" for name in KEYWORD_FILES))
"""Files whose damage would change answers silently (a flipped byte in a vector or a BM25 score, a NaN that
turns into a different ranking); the rest fail loudly when damaged. The document text is checked against
its SHA-256 instead."""
