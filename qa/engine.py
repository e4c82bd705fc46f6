"""The headless core: one object that owns the index and the model and turns questions into Answers.

`qa ask`, `qa batch` and the chat all call `Engine.ask`. Preparing the engine (loading the model,
building or refreshing the index) is a generator of progress events so each front end can show it its
own way; nothing here prints.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from index.build import BuildEvent, Notice, is_stale
from index.embedding import Embedder, load_embedder
from index.errors import (
    CorpusError,
    GenerationReplaced,
    IndexBusyError,
    IndexOutdated,
    IndexStateError,
    IndexWriteError,
    UsageError,
)
from index.filters import Where
from index.reading.load import shorten
from index.storage import IndexReader as Snapshot
from index.storage import IndexStore, open_store
from index.types import READER_VERSION, ChunkingParams, Document, DocumentInfo, of_format, outdated_formats
from qa.config import Settings, Tuning
from qa.display import has_surrogates
from qa.locks import ReadWriteLock
from qa.types import Answer, Citation, Passage, Question

if TYPE_CHECKING:
    import numpy as np

    from index.build import BuildRunner
    from qa.generate import OnSentence
    from qa.multipart import Retrieval
    from qa.parts import Plan
    from qa.retrieval import Hit

T = TypeVar("T")

MAX_QUESTION_CHARS = 1000
"""Longer questions are cut (with a warning): the model reads at most 256 tokens anyway."""

_FOLLOW_UP = re.compile(
    r"\b(he|him|his|she|her|hers|it|its|they|them|their|this|that|these|those|there|then)\b", re.I
)

_CONTINUES = re.compile(r"\s*(and|also|what about|how about|why|why not)\b", re.I)


def damaged(snapshot: Snapshot, exc: BaseException) -> IndexStateError:
    """The error for an index part that failed while being read (a value out of range, a missing table...)."""
    return IndexStateError(f"The index at {snapshot.location} is damaged ({exc.__class__.__name__}: "
                           f"{str(exc)[:200]}). {snapshot.rebuild_hint}")


def normalize_question(question: str | Question) -> Question:
    """Trim a question; reject an empty one or one that is not text; cut an overlong one. A Question is
    already all that and is returned as it is."""
    if isinstance(question, Question):
        return question
    if not isinstance(question, str):
        raise UsageError("The question must be text.")
    if has_surrogates(question):
        # Bytes that were not UTF-8 (or a lone "\ud800" JSON escape): no tokenizer can read them.
        raise UsageError("The question is not valid UTF-8 text. Type it again, or save the file as UTF-8.")
    cleaned = " ".join(question.split())
    if not cleaned:
        raise UsageError("The question is empty. Ask something, e.g. qa ask \"Who visited Astana?\"")
    warnings = []
    if len(cleaned) > MAX_QUESTION_CHARS:
        warnings.append(
            f"The question was {len(cleaned)} characters long; only the first {MAX_QUESTION_CHARS} were used."
        )
        cleaned = shorten(cleaned, MAX_QUESTION_CHARS)
    return Question(cleaned, tuple(warnings))


_SCOPED_FOLLOW_UP = re.compile(
    r"^\s*(?:and|but|also|or|then)?\s*(?:(?:what|how)\s+about\s+)?(?P<prep>in|for|with|using|on|under|from|of|"
    r"at|to|into|via)\s+(?P<x>[^?.!]{1,60}?)\s*[?.!]*\s*$", re.I)
_SCOPE_NAME = re.compile(r"(?<![\w.])(?:[A-Z][\w+#.-]*|[\w.]*[._][\w.]+(?:\(\))?)(?![\w])")


def rewrite_follow_up(question: str, previous: str) -> str | None:
    """A follow-up that only changes the scope ("and in Python?" after "How do I read a CSV file in R?")
    asked as the whole question it stands for: the new scope replaces the old one ("How do I read a CSV
    file in Python?"), instead of both being searched for. The old scope is what the previous question puts
    after the same preposition ("in R"), else its last name ("where R packages are installed"). None when
    the follow-up is not of that form, or the previous question names no scope."""
    m = _SCOPED_FOLLOW_UP.match(question)
    if m is None or len(m.group("x").split()) > 4:
        return None
    prep, new = m.group("prep"), m.group("x").strip()
    slot = None
    for found in re.finditer(rf"\b{re.escape(prep)}\s+((?:the\s+)?\S+)", previous, re.I):
        slot = found.span(1)  # the last "in X" of the previous question
    if slot is None:
        names = [n for n in _SCOPE_NAME.finditer(previous) if n.start() > 0]
        if not names:
            return None
        slot = names[-1].span()
    a, b = slot
    while b > a and previous[b - 1] in "?.!,;:":
        b -= 1
    return previous[:a] + new + previous[b:]


def contextualize(question: str, history: Sequence[str]) -> str:
    """The text to search with: a follow-up question ("When did he arrive?") is read together with
    the previous question, so pronouns and ellipsis find their referent; one that only changes the scope
    ("and in Python?") is the previous question with the new scope (`rewrite_follow_up`)."""
    if not history:
        return question
    rewritten = rewrite_follow_up(question, history[-1])
    if rewritten is not None:
        return rewritten
    words = question.split()
    names_something = any(w[:1].isupper() for w in words[1:])
    if _FOLLOW_UP.search(question) or _CONTINUES.match(question) or (len(words) <= 3 and not names_something):
        return f"{history[-1]} {question}"
    return question


def check_corpus(corpus: Path) -> None:
    """Refuse a corpus folder that does not exist (CorpusError, exit 3)."""
    if not corpus.is_dir():
        raise CorpusError(
            f"The corpus folder {corpus} does not exist. Pass --corpus DIR with a folder "
            "of documents (.txt, .md, .pdf, .html, .docx, .odt, .pptx, .xlsx, .csv, .ipynb, ...)."
        )


class Engine:
    """A corpus, its index and the embedding model, ready to answer questions.

    Safe to share between threads: questions (and document look-ups) may run concurrently, and swapping in
    a re-built index waits until the questions in flight have finished with the old one, which it then
    closes (closing an SQLite connection under a running query crashes the process).
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        tuning: Tuning = Tuning(),
        chunking: ChunkingParams = ChunkingParams(),
        runner: BuildRunner | None = None,
    ) -> None:
        self.settings = settings
        self.runner = runner
        """Where builds read, chunk and embed (`qa index --ray`); None: here."""
        self.tuning = tuning
        self.chunking = chunking
        self.store: IndexStore = open_store(settings.store_spec, settings.corpus, settings.milvus_token)
        self._embedder = embedder
        self._snapshot: Snapshot | None = None
        self._files: dict[str, tuple[tuple[str, int, int, int], str]] = {}
        self._lock = ReadWriteLock()
        """Read side: everything that uses the open snapshot; write side: swapping or closing it."""
        self._updating = threading.Lock()
        """Held while this engine builds the index: a re-index asked for while another runs in this process
        (the chat's Ctrl+R during a watch update) waits for it instead of failing on the index's file lock."""

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder, self.settings.precision,
                                           query_backend=self.settings.query_backend)
        return self._embedder

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            for _ in self.prepare():
                pass
        assert self._snapshot is not None
        return self._snapshot

    def _reading(self) -> _Reading:
        """The open snapshot, kept open until the caller is done with it."""
        self.snapshot  # noqa: B018 - opens (prepares) the index on first use, outside the lock
        assert self._snapshot is not None
        if not self._updating.locked() and self._snapshot.stale():
            self._reopen()  # another process published an update (a Milvus server's index)
        return _Reading(self)

    def _check_corpus(self) -> None:
        check_corpus(self.settings.corpus)

    def prepare(self, refresh: bool = True) -> Iterator[BuildEvent | Notice]:
        """Build the index if it is missing, refresh it if the corpus changed, open it, load the model."""
        self._check_corpus()
        self.embedder.start_warm_up()  # the question encoder opens beside the index's check
        with self._updating:
            yield from self._build_or_refresh(refresh)
            self._swap_snapshot(self.store.open(self.embedder))
        yield from self._ensure_query_encoder()
        yield Notice("Loading the embedding model…")
        self.embedder.warm_up()

    def _build_or_refresh(self, refresh: bool) -> Iterator[BuildEvent | Notice]:
        """Build a missing index, or refresh a stale one (another writer or a full disk only warns)."""
        if not self.store.exists():
            yield Notice(f"Building the index of {self.settings.corpus} (first run)…")
            yield from self._install_notices()
            from index.build import build

            yield from build(self.settings.corpus, self.store, self.embedder, params=self.chunking,
                                 runner=self.runner)
        else:
            try:
                current = self.store.open(self.embedder)
            except IndexOutdated as exc:
                if not refresh:
                    raise
                self._adopt_recorded_corpus(exc.corpus)
                stale = True  # built by another version or model: the build below replaces it, with a notice
            else:
                gone = False
                try:
                    adopted = self._adopt_recorded_corpus(current.manifest.corpus, must_exist=False)
                    gone = adopted and not self.settings.corpus.is_dir()
                    if adopted and not gone:
                        current.close()
                        current = self.store.open(self.embedder)
                    # files added, removed or touched; or read by the readers of an earlier version (an upgrade's
                    # fixes reach an index at its first question, as a new format version's do)
                    stale = refresh and not gone and (current.manifest.reader_version != READER_VERSION
                                                      or _read_by_an_older_reader(current)
                                                      or is_stale(self.settings.corpus, current, self.store))
                finally:
                    current.close()
                if gone and refresh:
                    yield Notice(f"The corpus folder the index was built from, {self.settings.corpus}, is gone: "
                                 "answering from the index as it was built (--corpus DIR indexes another folder).",
                                 warning=True)
                if stale:
                    yield Notice("The corpus changed since it was indexed; updating the index…")
            if stale:
                from index.build import build

                yield from self._install_notices()
                try:
                    yield from build(self.settings.corpus, self.store, self.embedder, params=self.chunking,
                                 runner=self.runner)
                except IndexBusyError:
                    yield Notice("Another process is updating the index; answering from the previous one, which "
                                 "does not have the latest changes.", warning=True)
                except IndexWriteError as exc:
                    yield Notice(f"{exc} Answering from the previous index, which does not have the latest "
                                 "changes.", warning=True)

    def _adopt_recorded_corpus(self, corpus: str | None, must_exist: bool = True) -> bool:
        """`--index DIR` (or --store, QA_INDEX, the config file) with no corpus named anywhere means the index's
        own corpus, the folder its manifest records (`corpus`), not the bundled seeds/: refreshing it against
        seeds/ would replace a large index with three documents. True when the settings now name that folder
        (and the store was opened again for it, when it exists); a recorded folder that is gone is a CorpusError
        where something must be read from it (`must_exist`: a build), the index untouched; otherwise the index is
        answered from as it is. A corpus named on purpose is never overridden."""
        origins = self.settings.origins
        named_index = any(origins.get(key, "built-in") != "built-in" for key in ("index", "store"))
        if corpus is None or origins.get("corpus", "built-in") != "built-in" or not named_index:
            return False
        recorded = Path(corpus)
        if recorded == self.settings.corpus.resolve():
            return False
        exists = recorded.is_dir()
        if not exists and must_exist:
            raise CorpusError(f"The index at {self.store.location} was built from {recorded}, which does not "
                              "exist any more; pass --corpus DIR to index another folder.")
        from dataclasses import replace

        self.settings = replace(self.settings, corpus=recorded,
                                origins=origins | {"corpus": f"the index at {self.store.location}"})
        if exists:
            self.store.close()
            self.store = open_store(self.settings.store_spec, recorded, self.settings.milvus_token)
        return True

    def _adopt_corpus_of_index(self) -> None:
        """Before a build asked for: `_adopt_recorded_corpus` with the corpus the existing index records."""
        if self.settings.origins.get("corpus", "built-in") != "built-in" or not self.store.exists():
            return  # (a named corpus first: a Milvus Lite store is not opened for nothing)
        try:
            current = self.store.open(self.embedder)
        except IndexOutdated as exc:
            self._adopt_recorded_corpus(exc.corpus)
        except IndexStateError:
            return  # damaged or foreign: the build reports it (or replaces it, for --rebuild)
        else:
            try:
                self._adopt_recorded_corpus(current.manifest.corpus)
            finally:
                current.close()

    def _install_notices(self) -> Iterator[Notice]:
        """Before a build, where indexing loads torch: once per environment, a CUDA build of torch on a machine
        without a GPU (qa/torch_build.py). The hash embedder never loads torch."""
        if self.settings.embedder == "hash":
            return
        from qa.torch_build import warning_once

        message = warning_once()
        if message:
            yield Notice(message, warning=True)

    def _ensure_query_encoder(self) -> Iterator[Notice]:
        """Once per model: export the torch-free query encoder (see index/embedding/onnx.py)."""
        if not self.embedder.needs_query_encoder():
            return
        yield Notice("Preparing the fast question encoder (once per model)…")
        with self._reading() as snapshot:
            samples = snapshot.chunk_texts(28)
        warning = self.embedder.prepare_query_encoder(samples)
        if warning:
            yield Notice(warning)

    def reindex(self, rebuild: bool = False) -> Iterator[BuildEvent | Notice]:
        """Update (or rebuild) the index now, then answer from the new one. Questions keep being answered
        from the previous index until the new one is complete. One re-index at a time per engine: a second
        caller waits for the running one to finish, then runs its own."""
        self._adopt_corpus_of_index()
        self._check_corpus()
        if self._updating.locked():
            yield Notice("Waiting for the index update in progress to finish…")
        from index.build import build

        yield from self._install_notices()
        with self._updating:
            yield from build(self.settings.corpus, self.store, self.embedder, rebuild=rebuild,
                             params=self.chunking, runner=self.runner)
            self._swap_snapshot(self.store.open(self.embedder))
        yield from self._ensure_query_encoder()

    @property
    def updating(self) -> bool:
        """Whether a re-index of this engine is running now."""
        return self._updating.locked()

    def _reopen(self) -> None:
        self._swap_snapshot(self.store.open(self.embedder))

    def _answering(self, work: Callable[[Snapshot], T]) -> T:
        """`work` on the open snapshot; once more on the live one if another process's update removed the
        generation it was reading (a Milvus server's index)."""
        try:
            with self._reading() as snapshot:
                return work(snapshot)
        except GenerationReplaced:
            self._reopen()
            with self._reading() as snapshot:
                return work(snapshot)

    def _swap_snapshot(self, snapshot: Snapshot) -> None:
        with self._lock.write():
            old, self._snapshot = self._snapshot, snapshot
            if old is not None:
                old.close()

    @cached_property
    def _default_where(self) -> Where | None:
        """The configured filter (`--where`, QA_WHERE, the config file), parsed once."""
        from index.filters import parse_where

        return parse_where(self.settings.where) or None if self.settings.where else None

    def _where(self, where: Where | str | None) -> Where | None:
        """The filter of one question: its own (a batch line's, an MCP call's), else the configured one."""
        from index.filters import Where, parse_where

        if where is None:
            return self._default_where
        return where if isinstance(where, Where) else parse_where(where) or None

    def ask(self, question: str | Question, top_k: int | None = None, history: Sequence[str] = (),
            where: Where | str | None = None, generate: bool | None = None,
            on_sentence: OnSentence | None = None) -> Answer:
        """Answer a question from the corpus (or, with `where`, from the documents it lets through), with
        verified citations, or abstain. With `generate` (None: the settings'), a language model then writes
        the answer from those citations, each sentence checked against them (qa/generate.py); `on_sentence`
        is told each checked sentence as it is written."""
        answer = self._extractive(question, top_k, history, where)
        if self.settings.generate if generate is None else generate:
            from qa.generate import generate_answer
            from qa.llm import LLMConfig

            # outside the index's read lock: a re-index never waits for a model
            answer = generate_answer(answer, self.embedder, LLMConfig.from_settings(self.settings), on_sentence)
        return answer

    def _extractive(self, question: str | Question, top_k: int | None, history: Sequence[str],
                    where: Where | str | None) -> Answer:
        from dataclasses import replace

        from qa.answer import compose, read_ahead
        from qa.part_cues import might_be_nested, might_be_superlative
        from qa.retrieval import retrieve

        asked_question = normalize_question(question)
        cleaned, warnings = asked_question.text, asked_question.warnings
        k = self.settings.top_k if top_k is None else top_k
        if k < 1:
            raise UsageError("--top-k must be at least 1.")
        scope = self._where(where)

        def work(snapshot: Snapshot) -> Answer:
            if scope is not None and not snapshot.documents_matching(scope):
                return Answer(cleaned, f"No documents match the filter {scope.text!r}: nothing to answer from.",
                              True, warnings=(*warnings, f"No documents match {scope.text!r}."))
            query = contextualize(cleaned, history)
            # a follow-up that restates the previous question with a new scope is answered as that question
            asked = query if history and rewrite_follow_up(cleaned, history[-1]) is not None else cleaned
            try:
                plan = None if history else self._plan(snapshot, cleaned)
                if plan is not None:
                    from qa.multipart import answer_plan

                    via = self._parts_retrieval(snapshot, scope, warnings)
                    planned = answer_plan(snapshot, plan, cleaned, via, k, warnings)
                    if planned is not None:
                        return planned
                if plan is None and not history and might_be_nested(cleaned):
                    from qa.nested import answer_nested

                    nested = answer_nested(snapshot, cleaned, self._parts_retrieval(snapshot, scope, warnings), k,
                                           warnings)
                    if nested is not None:  # "... the city where Handel's Messiah was first performed?": Dublin's
                        return nested
                read_as_one: Retrieval | None = None
                if plan is None and not history and might_be_superlative(cleaned):
                    from qa.multipart import answer_superlative

                    read_as_one = self._parts_retrieval(snapshot, scope, warnings)
                    one = answer_superlative(snapshot, cleaned, read_as_one, k, warnings)
                    if one is not None:  # "What is the longest river in Africa?": the one a document ranks first
                        return one
                read_ahead(asked, self.tuning)  # beside a first question's encoder still opening
                # a question the superlative reading left has its vector already (the same as embedded alone)
                qvec = read_as_one.vector(query) if read_as_one is not None and read_as_one.vector is not None \
                    else self.embedder.embed_query(query)
                hits = retrieve(snapshot, qvec, query, k, self.tuning, scope)
                answer = compose(snapshot, hits, qvec, asked, query, warnings, self.tuning,
                                 self.embedder.relevance_floor, self._on_disk())
                return answer if asked == cleaned else replace(answer, question=cleaned)
            except (IndexError, ValueError, KeyError, sqlite3.DatabaseError) as exc:
                raise damaged(snapshot, exc) from None

        return self._answering(work)

    def _parts_retrieval(self, snapshot: Snapshot, scope: Where | None, warnings: Sequence[str]) -> Retrieval:
        """Search and answer each part of a question as any question is (qa/multipart.py); the parts' vectors
        are made in one model call."""
        from dataclasses import replace

        from qa.answer import compose
        from qa.multipart import Retrieval
        from qa.retrieval import retrieve, retrieve_within

        vectors: dict[str, np.ndarray] = {}

        def embed(texts: Sequence[str]) -> None:
            todo = [t for t in dict.fromkeys(texts) if t not in vectors]
            if todo:
                vectors.update(zip(todo, self.embedder.embed_queries(todo), strict=True))

        def vector(text: str) -> np.ndarray:
            embed([text])
            return vectors[text]

        finding = replace(self.tuning, maxsim_weight=0.0)  # documents to find, not sentences to quote

        def search(text: str, depth: int) -> list[Hit]:
            return retrieve(snapshot, vector(text), text, depth, finding, scope)

        on_disk = self._on_disk()
        if on_disk is not None:  # one question's parts quote the same files: each is read once per question
            on_disk = cache(on_disk)

        def answered(text: str, hits: list[Hit], qvec: np.ndarray) -> tuple[list[Hit], Answer]:
            return hits, compose(snapshot, hits, qvec, text, text, warnings, self.tuning,
                                 self.embedder.relevance_floor, on_disk)

        def ask(text: str, depth: int) -> tuple[list[Hit], Answer]:
            return answered(text, search(text, depth), vector(text))

        allowed: list[set[int]] = []

        def within_scope(doc_id: int) -> bool:
            if scope is None:
                return True
            if not allowed:
                allowed.append(snapshot.documents_matching(scope))
            return doc_id in allowed[0]

        def ask_within(text: str, doc_id: int, depth: int, like: str) -> tuple[list[Hit], Answer]:
            import numpy as np

            if not within_scope(doc_id):  # a member outside `--where` is never read, whoever asks
                return [], compose(snapshot, [], vector(like), text, text, warnings, self.tuning)

            # what is asked (the vector of `like`, embedded already) plus which document it is asked of (the
            # vector of its first chunk, which carries its title): no model call per member
            own = snapshot.chunk_vectors(snapshot.chunks_of(doc_id, 1))
            qvec = vector(like) + (own[0] if len(own) else 0.0)
            qvec = (qvec / max(float(np.linalg.norm(qvec)), 1e-9)).astype(np.float32)
            return answered(text, retrieve_within(snapshot, qvec, text, doc_id, depth, self.tuning), qvec)

        def quote(doc_id: int, start: int, end: int, n: int) -> Citation | None:
            from qa.answer import Quote, ScoredSentence, citation_of, still_on_disk

            sentence = ScoredSentence(-1, doc_id, start, end, 0.0, 0.0)
            if on_disk is not None and not still_on_disk(snapshot, [sentence], on_disk)[0]:
                return None
            return citation_of(snapshot, n, Quote(doc_id, start, end, 0.0))

        return Retrieval(ask, search, embed, ask_within, within_scope, quote, vector)

    @staticmethod
    def _plan(snapshot: Snapshot, question: str) -> Plan | None:
        """How the question splits into parts (qa/parts.py), or None for a question with one part; which
        words name documents is asked of the index's title keys."""
        from qa.part_cues import might_have_parts

        if not might_have_parts(question):
            return None  # most questions: one regular expression, no look-up (qa.parts is not even imported)
        from qa.parts import detect

        return detect(question, lambda keys: set(snapshot.documents_titled(list(keys))))

    def _on_disk(self) -> Callable[[str], str | None] | None:
        """What checks a quote against its file as it is now: nothing when the whole corpus folder is gone (an
        index named alone whose corpus moved is answered from as it was built, with a warning)."""
        return self._current_text if self.settings.corpus.is_dir() else None

    def _current_text(self, source: str) -> str | None:
        """A text file's text as it is on disk now, or None when it is gone or no longer readable as one:
        composition leaves out quotes the file no longer holds (qa/answer.py)."""
        try:
            return self._file_text(source)
        except (OSError, ValueError):  # gone, unreadable, or no longer a plain file inside the corpus
            return None

    def _file_text(self, source: str) -> str:
        """A text file's current text, read as a build reads it (`read_corpus_text`: opened once, without
        following links out of the corpus, non-blocking, a regular file within the size limit: a named pipe
        or a link to /dev/zero put there since must neither hang an answer nor fill memory), cached while its
        size, mtime and ctime stay the same."""
        from index.reading.load import open_in_corpus, read_corpus_text

        cached = self._files.get(source)
        if cached is not None:
            fh, st = open_in_corpus(self.settings.corpus, source)
            fh.close()
            if cached[0] == (source, st.st_size, st.st_mtime_ns, st.st_ctime_ns):
                return cached[1]
        text, (size, mtime, ctime) = read_corpus_text(self.settings.corpus, source)
        if len(self._files) > 64:
            self._files.clear()
        self._files[source] = ((source, size, mtime, ctime), text)
        return text

    def search(self, question: str | Question, top_k: int | None = None, history: Sequence[str] = (),
               where: Where | str | None = None) -> list[Passage]:
        """The top passages for a question, best first, without composing an answer."""
        from qa.answer import passages_of
        from qa.retrieval import retrieve

        cleaned = normalize_question(question).text
        k = self.settings.top_k if top_k is None else top_k
        query = contextualize(cleaned, history)
        scope = self._where(where)

        def work(snapshot: Snapshot) -> list[Passage]:
            if scope is not None and not snapshot.documents_matching(scope):
                return []
            try:
                hits = retrieve(snapshot, self.embedder.embed_query(query), query, k, self.tuning, scope)
                return passages_of(snapshot, hits)
            except (IndexError, ValueError, KeyError, sqlite3.DatabaseError) as exc:
                raise damaged(snapshot, exc) from None

        return self._answering(work)

    def document_text(self, source: str) -> str | None:
        """The stored text of a document (what citations point into), or None if it is not indexed."""
        with self._reading() as snapshot:
            doc = snapshot.document_by_source(source)
        return doc.text if doc is not None else None

    def sources_titled(self, title: str) -> list[str]:
        """The documents whose title is `title` (as titles are stored: shortened to 80 characters)."""
        wanted = {title, shorten(title)}
        with self._reading() as snapshot:
            return [source for source, t in snapshot.sources() if t in wanted]

    def document(self, source: str) -> Document | None:
        """A stored document with its pages and sections, or None if it is not indexed."""
        with self._reading() as snapshot:
            return snapshot.document_by_source(source)

    def documents(self, where: Where | str | None = None) -> list[DocumentInfo]:
        """The indexed documents (those `where` lets through; the configured filter when None), by source."""
        scope = self._where(where)
        with self._reading() as snapshot:
            return snapshot.catalog(scope)

    def stats(self) -> tuple[int, int]:
        """(documents, chunks) in the open index."""
        with self._reading() as snapshot:
            manifest = snapshot.manifest
        return manifest.documents, manifest.chunks

    def close(self) -> None:
        with self._lock.write():
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None
            self.store.close()  # a Milvus store's connection (Milvus Lite: one process per file)


class _Reading:
    """The engine's open snapshot, held under its read lock for a `with` block. A class, not a generator: a
    Ctrl+C between a generator's yield and the caller's `with` left the lock held while the KeyboardInterrupt's
    traceback kept the generator alive, and `close()` then waited for it for ever (qa/locks.py)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._held = engine._lock.read()

    def __enter__(self) -> Snapshot:
        self._held.__enter__()
        try:
            snapshot = self._engine._snapshot
            if snapshot is None:
                raise RuntimeError("The engine was closed.")
        except BaseException:
            self._held.__exit__(None, None, None)
            raise
        return snapshot

    def __exit__(self, *exc: object) -> None:
        self._held.__exit__(*exc)


def _read_by_an_older_reader(index: Snapshot) -> bool:
    """Whether the index holds files of a format whose reader an upgrade changed (index.types.FORMAT_READERS):
    they are read again at the first question, as a new READER_VERSION's are."""
    outdated = outdated_formats(index.manifest.format_readers)
    return bool(outdated) and any(of_format(source, outdated) for source in index.file_stats())
