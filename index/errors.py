"""One error hierarchy for the whole product, with messages written for the person at the keyboard.

Every front end (CLI, chat) catches `QAError` and shows `str(error)`; the CLI exits with `error.exit_code`.
Anything else escaping is a bug.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes of the `qa` command; part of its public interface."""

    OK = 0
    FAILURE = 1  # an unexpected failure (a bug): please report it
    USAGE = 2  # bad arguments or a bad question
    CORPUS = 3  # the corpus folder is missing or holds nothing indexable
    INDEX = 4  # the index is damaged, half-written or built by another model/format
    BUSY = 5  # another process is writing this index
    MODEL = 6  # the embedding model could not be loaded
    PARTIAL = 7  # `qa batch` finished, but some lines carry an `error`
    WRITE = 8  # the index could not be written (disk full, read-only folder, no permission)
    CLUSTER = 9  # `qa index --ray`: the Ray cluster could not be reached, or failed during the build
    STORE = 10  # the index store (a Milvus server) could not be reached
    ABSTAINED = 11  # `qa ask --fail-on-abstain` / `qa batch --fail-on-abstain`: the documents did not answer


class QAError(Exception):
    """Base of every error corpus-qa reports to a user."""

    exit_code: ExitCode = ExitCode.FAILURE


class UsageError(QAError):
    """The request itself is wrong (for example an empty question)."""

    exit_code = ExitCode.USAGE


class CorpusError(QAError):
    """The corpus folder is missing, unreadable or holds no indexable documents."""

    exit_code = ExitCode.CORPUS


class IndexStateError(QAError):
    """The index on disk cannot be used as it is: damaged, half-written, or built differently."""

    exit_code = ExitCode.INDEX


class GenerationReplaced(IndexStateError):
    """The generation a reader had open was replaced and removed by another process's update (a Milvus
    server's index): open the live one and ask again."""


class IndexOutdated(IndexStateError):
    """The index is sound but was built by another index format or another model. It is a cache of the
    corpus, so a build replaces it (with a notice) instead of failing; only readers that must not build
    (`qa text`, `qa eval`) report it."""

    def __init__(self, message: str, reason: str, corpus: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        """What differs, without the "run qa index --rebuild" hint."""
        self.corpus = corpus
        """The corpus folder its manifest records, when that could be read: what a rebuild reads again."""


class StoreUnreachable(QAError):
    """The server that keeps the index (Milvus) did not answer: nothing is wrong with the index itself."""

    exit_code = ExitCode.STORE


class IndexBusyError(QAError):
    """Another process holds the write lock of this index."""

    exit_code = ExitCode.BUSY


class IndexWriteError(QAError):
    """The index could not be written (disk full, read-only, permissions); the previous one is intact."""

    exit_code = ExitCode.WRITE


class ModelError(QAError):
    """The embedding model could not be loaded from local files."""

    exit_code = ExitCode.MODEL


class CitationError(QAError):
    """A quote does not match the stored document text at its offsets. Always a bug."""

    exit_code = ExitCode.FAILURE
