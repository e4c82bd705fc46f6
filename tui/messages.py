"""Messages workers post back to the UI thread (named in the past tense, small dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from qa.types import Answer


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


@dataclass
class EngineFailed(Message):
    """Loading, indexing or answering failed with a message for the user."""

    text: str
