"""Messages workers post back to the UI thread (named in the past tense, small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from index.types import Document
from qa.types import Answer, Citation, GeneratedSentence
from qa.watch import WatchProblem, WatchUpdate


@dataclass
class StatusChanged(Message):
    """The engine reported progress; `fraction` is None when there is no measurable progress."""

    text: str
    fraction: float | None = None


@dataclass
class EngineReady(Message):
    """The model and index are loaded; questions can be answered."""

    documents: int
    chunks: int


@dataclass
class AnswerReady(Message):
    """An answer to `question` is ready."""

    question: str
    answer: Answer
    documents: dict[str, str]
    """Source -> stored text of every document the answer cites or lists, fetched in the worker."""


@dataclass
class SentenceChecked(Message):
    """A sentence of the answer being generated to `question` was written and passed its check."""

    question: str
    sentence: GeneratedSentence


@dataclass
class DocumentFetched(Message):
    """A cited document was read for the viewer (None: it is no longer in the index)."""

    citation: Citation
    document: Document | None


@dataclass
class IndexUpdated(Message):
    """The watcher updated the index after files changed (`update` is a `qa.watch.WatchUpdate`)."""

    update: WatchUpdate


@dataclass
class WatchFailed(Message):
    """The watcher could not update the index (`problem` is a `qa.watch.WatchProblem`); it keeps watching."""

    problem: WatchProblem
