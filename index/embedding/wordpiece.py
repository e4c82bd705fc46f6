"""BERT's uncased WordPiece tokenization of ASCII text, in plain Python: the ids `tokenizers` gives, without
importing it.

A one-shot `qa ask` embeds one question. Importing `tokenizers` and reading its 466 KB tokenizer.json took
~40 ms of it here (22 ms to import, 20 to read), before the ONNX session could start opening; reading the
model's vocab.txt into a dict takes ~6 ms. For ASCII text BERT's normalisation is small enough to write out
exactly (below); any other text, and large batches (indexing), go to `tokenizers` as before
(index/embedding/onnx.py). tests/test_wordpiece.py checks the ids against `tokenizers` on the corpora's
texts, the question sets and random ASCII.

What `tokenizers` does with the model's settings (BertNormalizer with clean_text, handle_chinese_chars and
lowercase; BertPreTokenizer; WordPiece with `##` and 100 characters a word at most; [CLS] ... [SEP]), for ASCII:
1. the special tokens ("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]") written in the text are cut out first, as
   they are written, and kept as their own ids;
2. control characters are dropped (ASCII 0-31 but tab, newline and return, and 127: vertical tab and form
   feed too), tab, newline and return become spaces; letters are lowered (no accents, no CJK in ASCII);
3. words are split at spaces, and each punctuation character (ASCII's 32) is a word of its own;
4. each word is cut into the longest pieces the vocabulary holds, left to right, pieces after the first
   prefixed `##`; a word no such cut covers, or longer than 100 characters, is [UNK];
5. truncation keeps the first `max_tokens - 2` pieces, then [CLS] and [SEP] go around them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SPECIAL = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORDS = re.compile(r"[A-Za-z0-9]+|[!-/:-@\[-`{-~]")
"""After cleaning, a word is a run of letters and digits, or one punctuation character: ASCII has nothing else
but the spaces between them."""

_SETTINGS: dict[str, dict[str, Any]] = {
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                   "strip_accents": None, "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100},
}
"""tokenizer.json's settings this module mirrors; a model whose tokenizer says otherwise uses `tokenizers`."""

_AROUND = [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}]
"""The post-processor's template for one text: [CLS] text [SEP]."""

_MAX_WORD = 100


class AsciiWordPiece:
    """Token ids of ASCII texts as the model's `tokenizers` tokenizer gives them (see the module's doc)."""

    def __init__(self, vocab: dict[str, int], max_tokens: int) -> None:
        self.vocab = vocab
        self.max_tokens = max_tokens
        self.cls, self.sep, self.unk = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]
        self._specials = {s: vocab[s] for s in SPECIALS}

    @classmethod
    def load(cls, model_dir: Path, max_tokens: int) -> AsciiWordPiece | None:
        """From the model's vocab.txt, when its tokenizer.json is BERT's uncased WordPiece with that vocabulary
        (its settings, read from the part of the file before the vocabulary, are `_SETTINGS`'s); None otherwise
        (another model's tokenizer, a missing or unreadable file), and `tokenizers` does the work."""
        try:
            head = _settings_of(model_dir / "tokenizer.json")
            words = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if words and words[-1] == "":
            words.pop()
        try:
            if head is None or not _mirrored(head):
                return None
        except (AttributeError, TypeError):  # a field of another shape than a saved tokenizer writes
            return None
        vocab = {word: n for n, word in enumerate(words)}
        if len(vocab) != len(words) or any(s not in vocab for s in SPECIALS):
            return None
        added = {t.get("content"): t.get("id") for t in head.get("added_tokens", [])}
        if added != {s: vocab[s] for s in SPECIALS}:
            return None  # other added tokens would be cut out of the text too
        return cls(vocab, max_tokens)

    def encode(self, text: str) -> list[int] | None:
        """The ids of `text` with [CLS] and [SEP], truncated to `max_tokens`; None for text that is not ASCII."""
        if not text.isascii():
            return None
        room = self.max_tokens - 2
        ids: list[int] = []
        for i, part in enumerate(_SPECIAL.split(text)):
            if len(ids) >= room:
                break
            if i % 2:
                ids.append(self._specials[part])
                continue
            cleaned = _CONTROL.sub("", part).lower()
            for word in _WORDS.findall(cleaned):
                ids.extend(self._pieces(word))
                if len(ids) >= room:
                    break
        return [self.cls, *ids[:room], self.sep]

    def _pieces(self, word: str) -> list[int]:
        vocab = self.vocab
        whole = vocab.get(word)
        if whole is not None:
            return [whole]
        if len(word) > _MAX_WORD:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = vocab.get(word[start:end] if start == 0 else "##" + word[start:end])
                if piece is not None:
                    pieces.append(piece)
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return pieces


def _mirrored(head: dict[str, Any]) -> bool:
    """Whether tokenizer.json's settings are the ones this module mirrors, its added tokens cut out as written
    (not normalised first, nor only as whole words, nor taking the spaces around them)."""
    if any(head.get(k) != v for k, v in _SETTINGS.items() if k != "model"):
        return False
    if (head.get("post_processor") or {}).get("single") != _AROUND:
        return False
    model = head.get("model", {})
    if any(model.get(k) != v for k, v in _SETTINGS["model"].items()):
        return False
    return all(not t.get(flag) for t in head.get("added_tokens", [])
               for flag in ("normalized", "single_word", "lstrip", "rstrip"))


def _settings_of(path: Path) -> dict[str, Any] | None:
    """tokenizer.json's settings before its vocabulary (`model.vocab`, the last thing a saved tokenizer writes),
    read without parsing the vocabulary; None if the file is not laid out so."""
    text = path.read_bytes()
    at = text.find(b'"vocab"')
    if at < 0 or text.find(b'"vocab"', at + 1) >= 0:
        return None
    head = text[:at].rstrip()
    if not head.endswith(b","):
        return None
    try:
        settings = json.loads(head[:-1] + b"}}")
    except ValueError:
        return None
    return settings if isinstance(settings, dict) else None
