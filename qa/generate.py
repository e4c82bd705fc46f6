"""Fluent answers from a local language model, grounded in the quotes corpus-qa already verified.

Off by default; on with `qa ask --generate`, `generate = true` in the config file (QA_GENERATE), the chat's
/generate (Ctrl+G), or the MCP `ask` tool's `generate`. The extractive answer is made first, as always; then
its verified quotes become numbered evidence units ([1], [2]... as the answer cites them) and the model
(any OpenAI-compatible server: qa/llm.py) is asked to answer from them alone, each sentence citing the
units it rests on: as JSON matching a schema where the server takes `response_format`, else (HTTP 400/422)
once more in a strict text format, one sentence per line ending in its `[n]` markers. Every sentence is
checked before it is shown (qa/support.py); the ones that fail are left out (and listed, with the reason,
in `generated`). When too little passes, or anything goes wrong on the way (server down, too slow, a reply
cut short or not in the format asked), the answer is the quotes, as without generation, with a one-line
warning. An abstention is never sent: there is nothing to ground an answer in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from qa.types import Answer, GeneratedSentence

if TYPE_CHECKING:
    import numpy as np

    from index.embedding import Embedder
    from qa.llm import LLMConfig
    from qa.support import Unit

OnSentence = Callable[[GeneratedSentence], None]
"""Told each sentence as soon as it is complete and checked (the chat shows the kept ones while the rest
is being written); the final answer may still fall back to the quotes."""

MIN_KEPT_SHARE = 0.5
"""Fewer than this share of the sentences supported and the whole generated answer is set aside: a model
that got most of it wrong is not trusted with the rest."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"sentences": {"type": "array", "items": {
        "type": "object",
        "properties": {"text": {"type": "string"}, "citations": {"type": "array", "items": {"type": "integer"}}},
        "required": ["text", "citations"], "additionalProperties": False}}},
    "required": ["sentences"], "additionalProperties": False,
}
"""What the model is asked to return where the server accepts `response_format`."""

_RULES = (
    "You answer a question using only the numbered evidence quoted from the user's documents. Write at most "
    "four short sentences. Each sentence states only what the evidence it cites says, and cites the ids of "
    "that evidence. Copy every name, number and code identifier exactly as the evidence writes it. Add no "
    "facts, advice or opinions of your own. If the evidence does not answer the question, write nothing."
)
SYSTEM_JSON = _RULES + (
    ' Reply with JSON only: {"sentences": [{"text": "One sentence.", "citations": [1]}]}; put no [n] markers '
    'in the text. If the evidence does not answer the question, reply {"sentences": []}.'
)
SYSTEM_TEXT = _RULES + (
    " Reply with the sentences only, one per line, each ending with the ids of the evidence it rests on in "
    "square brackets, like this:\nThe group meets once a year. [1]\nIt was founded in 2015. [2][3]"
)

_NO_SCHEMA: set[str] = set()
"""Servers (endpoints) that refused `response_format` once: asked in the text format from then on."""


def evidence_units(answer: Answer) -> list[Unit]:
    from qa.support import Unit

    return [Unit.of(c) for c in answer.citations]


def prompt(question: str, units: list[Unit], as_json: bool) -> list[dict[str, str]]:
    """The chat messages: the rules, then the question and the evidence, one unit per numbered line."""
    evidence = "\n".join(f"[{u.n}] {' '.join(u.text.split())}" for u in units)
    return [{"role": "system", "content": SYSTEM_JSON if as_json else SYSTEM_TEXT},
            {"role": "user", "content": f"Question: {question}\n\nEvidence:\n{evidence}"}]


class Malformed(Exception):
    """The reply is not in the format asked for."""


_MARKERS = re.compile(r"(?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def _ids(markers: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", markers)]


def _clean(text: str, valid: Collection[int]) -> tuple[str, list[int]]:
    """A sentence without the [n] markers written inside it, and the ids those markers give. Only brackets
    whose every number is an evidence id are markers: "a decimal number [0,53]" quotes a range."""
    ids: list[int] = []

    def marker(m: re.Match[str]) -> str:
        found = _ids(m.group())
        if not set(found) <= set(valid):
            return m.group()
        ids.extend(found)
        return " "

    plain = " ".join(_MARKERS.sub(marker, text).split())
    return re.sub(r"\s+([.,;:!?])", r"\1", plain), ids


def _without_thinking(content: str) -> str:
    """The reply without the reasoning some models write first (`<think>...</think>`)."""
    return re.sub(r"^\s*<think>.*?</think>", "", content, flags=re.S).strip()


def _is_id(value: object) -> bool:
    """An evidence id as a model may write it: 2, or "2" from a server that does not enforce the schema."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.isdigit())


def parse_json(content: str, valid: Collection[int]) -> list[tuple[str, list[int]]]:
    """The (sentence, cited ids) of a JSON reply; Malformed unless it is the schema's shape. `valid`: the
    evidence ids, which [n] markers written inside a sentence may give too."""
    text = _without_thinking(content)
    if text.startswith("```"):  # some models fence their JSON even when asked not to
        text = re.sub(r"^```\w*\s*|\s*```$", "", text)
    try:
        data = json.loads(text)
    except ValueError:
        raise Malformed("the model's reply was not the JSON asked for") from None
    items = data.get("sentences") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise Malformed("the model's reply has no list of sentences")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise Malformed("the model's reply has a sentence without text")
        cited = item.get("citations", [])
        if not isinstance(cited, list) or not all(_is_id(n) for n in cited):
            raise Malformed("the model's reply has citations that are not ids")
        cited = [int(n) for n in cited]
        sentence, inline = _clean(item["text"], valid)
        if sentence:
            out.append((sentence, [*cited, *inline]))
    return out


def parse_text(content: str, valid: Collection[int]) -> list[tuple[str, list[int]]]:
    """The (sentence, cited ids) of a reply in the text format: each sentence is the text before a group of
    [n] markers; text that no marker follows is a sentence citing nothing. The markers that end a line are
    taken whatever ids they give (an id that is no evidence is then refused by the check); brackets inside
    a line only when they give evidence ids ("[0,53]" may be a range the sentence quotes)."""
    out: list[tuple[str, list[int]]] = []
    for raw in _without_thinking(content).splitlines():
        line = _BULLET.sub("", raw).strip()
        at = 0
        ending = re.compile(r"\s*[.!?]?\s*$")
        for m in _MARKERS.finditer(line):
            if not ending.fullmatch(line, m.end()) and not set(_ids(m.group())) <= set(valid):
                continue
            sentence = line[at : m.start()].strip().lstrip(".,;:!? ")
            end = m.end()
            if end < len(line) and line[end] in ".!?":  # "... Sicily [1]." : the stop belongs to the sentence
                sentence += "" if sentence[-1:] in ".!?" else line[end]
                end += 1
            if sentence:
                out.append((_clean(sentence, valid)[0], _ids(m.group())))
            at = end
        rest = line[at:].strip().lstrip(".,;:!? ")
        if rest:
            out.append((rest, []))
    return out


class _Incremental:
    """Picks complete sentences out of a reply while it streams, so each can be checked and shown as soon
    as it is written: `{"text": ..., "citations": [...]}` objects of a JSON reply, lines of a text reply.
    The final reply is parsed again whole; this only decides what the chat may show early."""

    def __init__(self, as_json: bool, valid: Collection[int], emit: Callable[[str, list[int]], None]) -> None:
        self.as_json = as_json
        self.valid = valid
        self.emit = emit
        self.buffer = ""
        self.pos = 0
        self.decoder = json.JSONDecoder()

    def feed(self, piece: str) -> None:
        self.buffer += piece
        if self.as_json:
            self._json()
        else:
            while "\n" in self.buffer[self.pos :]:
                end = self.buffer.index("\n", self.pos)
                for sentence, ids in parse_text(self.buffer[self.pos : end], self.valid):
                    self.emit(sentence, ids)
                self.pos = end + 1

    def _json(self) -> None:
        if self.pos == 0:
            start = re.search(r'"sentences"\s*:\s*\[', self.buffer)
            if start is None:
                return
            self.pos = start.end()
        while True:
            skipped = re.compile(r"[\s,]*").match(self.buffer, self.pos)
            at = skipped.end() if skipped else self.pos
            if at >= len(self.buffer) or self.buffer[at] != "{":
                return
            try:
                item, end = self.decoder.raw_decode(self.buffer, at)
            except ValueError:
                return  # not complete yet
            self.pos = end
            if isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("citations"), list):
                sentence, inline = _clean(item["text"], self.valid)
                ids = [int(n) for n in item["citations"] if _is_id(n)]
                if sentence:
                    self.emit(sentence, [*ids, *inline])


def _embedding_memo(embedder: Embedder) -> Callable[[str], np.ndarray]:
    """`embed_query` (the fast, torch-free question encoder), remembered per text: units recur in every check."""
    memo: dict[str, np.ndarray] = {}

    def embed(text: str) -> np.ndarray:
        if text not in memo:
            memo[text] = embedder.embed_query(text)
        return memo[text]

    return embed


def render(sentences: list[GeneratedSentence]) -> str:
    """The answer's text: the kept sentences, each followed by its markers."""
    return " ".join(f"{g.sentence} {''.join(f'[{n}]' for n in g.citations)}" for g in sentences if g.kept)


def generate_answer(answer: Answer, embedder: Embedder, config: LLMConfig,
                    on_sentence: OnSentence | None = None) -> Answer:
    """`answer` with the model's checked sentences as its text, or, when that cannot be had or too little of
    it is supported, `answer` as it was with a one-line warning. Never raises for anything the server does."""
    from qa.llm import FormatRefused, GenerationFailed, chat
    from qa.support import check, min_support

    if answer.abstained or not answer.citations:
        return replace(answer, generated=())  # nothing to ground an answer in: nothing is sent
    units = evidence_units(answer)
    by_id = {u.n: u for u in units}
    embed = _embedding_memo(embedder)
    threshold = min_support(embedder.model_id)
    checked: dict[tuple[str, tuple[int, ...]], GeneratedSentence] = {}

    def judge(sentence: str, ids: list[int]) -> GeneratedSentence:
        key = (sentence, tuple(ids))
        if key not in checked:
            checked[key] = check(sentence, ids, by_id, embed, threshold)
        return checked[key]

    def ask(as_json: bool) -> list[tuple[str, list[int]]]:
        stream = None
        if on_sentence is not None:
            callback = on_sentence

            def shown(sentence: str, ids: list[int]) -> None:
                result = judge(sentence, ids)
                if result.kept:
                    callback(result)

            stream = _Incremental(as_json, by_id, shown).feed
        reply = chat(config, prompt(answer.question, units, as_json), SCHEMA if as_json else None, stream)
        return parse_json(reply, by_id) if as_json else parse_text(reply, by_id)

    as_json = config.endpoint not in _NO_SCHEMA
    try:
        try:
            parsed = ask(as_json)
        except FormatRefused:
            _NO_SCHEMA.add(config.endpoint)
            parsed = ask(False)
    except (GenerationFailed, Malformed) as exc:
        return _fallback(answer, (), f"Generated answer not used: {exc}. Showing the quoted answer.")
    sentences = [judge(s, ids) for s, ids in parsed]
    kept = [g for g in sentences if g.kept]
    if not sentences:
        return _fallback(answer, (), "Generated answer not used: the model wrote no sentence from the quotes. "
                                     "Showing the quoted answer.")
    if not kept or len(kept) < MIN_KEPT_SHARE * len(sentences):
        shown = tuple(replace(g, kept=False, reason=g.reason or "too little of the generated answer is supported")
                      for g in sentences)
        return _fallback(answer, shown, f"Generated answer not used: its quotes support {len(kept)} of its "
                                        f"{len(sentences)} sentences. Showing the quoted answer.")
    warnings = answer.warnings
    left_out = len(sentences) - len(kept)
    if left_out:
        warnings = (*warnings, f"{left_out} generated sentence{'s' if left_out > 1 else ''} left out: not "
                               "supported by the quotes cited (see `generated`).")
    return replace(answer, text=render(sentences), generated=tuple(sentences), warnings=warnings)


def _fallback(answer: Answer, sentences: tuple[GeneratedSentence, ...], warning: str) -> Answer:
    return replace(answer, generated=sentences, warnings=(*answer.warnings, " ".join(warning.split())))
