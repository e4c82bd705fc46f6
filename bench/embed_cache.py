"""A disk cache in front of an embedder, so benchmark variants and re-runs do not re-embed the same text.

Only for benchmarks: latency is always measured with the cache switched off.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class CachingEmbedder:
    """Wraps an Embedder; same model id and weights hash, vectors cached by text in SQLite."""

    def __init__(self, inner, path: Path) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.model_id, self.dim, self.relevance_floor = inner.model_id, inner.dim, inner.relevance_floor
        self.tag = getattr(inner, "precision", "")  # bf16 and fp32 chunk passes are cached apart
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS v (k BLOB PRIMARY KEY, vec BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS c (k BLOB PRIMARY KEY, vec BLOB)")
        self.enabled = True

    @property
    def weights_hash(self) -> str:
        return self.inner.weights_hash

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def _key(self, text: str, tag: str = "") -> bytes:
        return hashlib.sha1(f"{self.model_id}\0{tag}{text}".encode()).digest()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not self.enabled:
            return self.inner.embed_documents(texts)
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self.db.execute(f"SELECT k, vec FROM v WHERE k IN ({','.join('?' * len(part))})", part)
            found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vecs = self.inner.embed_documents([texts[i] for i in missing])
            self.db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)",
                                [(keys[i], vecs[j].astype(np.float32).tobytes()) for j, i in enumerate(missing)])
            self.db.commit()
            for j, i in enumerate(missing):
                found[keys[i]] = vecs[j]
        return np.stack([found[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, self.dim), np.float32)

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]):  # type: ignore[no-untyped-def]
        """The inner embedder's one-pass chunk + sentence vectors, cached per (text, spans)."""
        keys = [self._key(f"{t}\0{list(sp)}", f"chunks-{self.tag}\0") for t, sp in zip(texts, spans, strict=True)]
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            rows = self.db.execute(f"SELECT k, vec FROM c WHERE k IN ({','.join('?' * len(part))})", part)
            found.update({k: np.frombuffer(v, dtype=np.float32).reshape(-1, self.dim) for k, v in rows})
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            chunk_vecs, sentence_vecs = self.inner.embed_chunks([texts[i] for i in missing],
                                                                [spans[i] for i in missing])
            rows = []
            for j, i in enumerate(missing):
                block = np.vstack([chunk_vecs[j][None, :], sentence_vecs[j]]).astype(np.float32)
                found[keys[i]] = block
                rows.append((keys[i], block.tobytes()))
            self.db.executemany("INSERT OR REPLACE INTO c VALUES (?, ?)", rows)
            self.db.commit()
        blocks = [found[k] for k in keys]
        return (np.stack([b[0] for b in blocks]) if blocks else np.zeros((0, self.dim), np.float32),
                [b[1:] for b in blocks])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0] if self.enabled else self.inner.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts) if self.enabled else self.inner.embed_queries(texts)

    def load(self) -> None:
        self.inner.load()

    # The rest of the Embedder protocol goes straight to the wrapped model.
    @property
    def query_backend(self) -> str:
        return self.inner.query_backend

    @property
    def document_encoder(self) -> str:
        return self.inner.document_encoder

    def warm_up(self) -> None:
        self.inner.warm_up()

    def start_warm_up(self) -> None:
        self.inner.start_warm_up()

    def needs_query_encoder(self) -> bool:
        return self.inner.needs_query_encoder()

    def prepare_query_encoder(self, samples: Sequence[str] = ()) -> str | None:
        return self.inner.prepare_query_encoder(samples)
