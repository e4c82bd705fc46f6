"""Opening a cited source where the citation points, with the user's own viewer: `qa open N` and the chat
viewer's `o` key.

What opens where:
- a PDF at its page, with the viewers whose page argument is known (Evince, Okular, zathura, MuPDF, xpdf,
  qpdfview, Atril, Xreader, Firefox and Chromium-based browsers with `#page=N`), found as the desktop's
  default PDF application (`xdg-mime`) or, failing that, on the PATH; any other viewer opens the file at
  its start (`xdg-open`, `open` on macOS);
- an HTML page at its anchor: `$BROWSER` (its `%s` convention), else the default browser by `xdg-mime`, with
  a `file://...#anchor` URL;
- a text file (and CSV, TSV) at its line: `$VISUAL` or `$EDITOR`, with `+LINE` for the editors that take it
  (vi, Vim, Neovim, nano, Emacs, micro, Kakoune, gedit), `--goto FILE:LINE` for VS Code, `FILE:LINE` for
  Sublime Text and Helix, `-l LINE` for Kate; without an editor, the default application;
- anything else (DOCX, ODT, PPTX, XLSX, EPUB, notebooks): the default application, at its start; the
  place to look (paragraph, slide, sheet and row) is printed with it.

A terminal editor runs in the foreground (the command waits for it); a graphical viewer is started in a
session of its own and left running. Without a display (no DISPLAY or WAYLAND_DISPLAY, not macOS) only a
terminal editor can open anything: otherwise the path and the place are printed, and nothing fails. The
last answer of `qa ask` is remembered for `qa open` (`last-answer.json` in the cache folder, 0600: the
citations' places only, no document text).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from index.errors import UsageError

TEXT_LIKE = frozenset({"txt", "md", "rst", "csv", "tsv"})
"""Formats an editor shows as they are, so a line of the file is a place it can open."""

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class Target:
    """A place in a corpus file to open."""

    path: Path
    """The file, absolute."""
    format: str
    """Its format (txt, pdf, html, ...)."""
    page: int | None = None
    """The physical page (PDF) to open at."""
    anchor: str | None = None
    """The element id (HTML) to open at."""
    line: int | None = None
    """The line of the file (text formats) to open at."""
    where: str = ""
    """The place as a person looks for it (`p. 12`, `slide 3`, `¶12 under Results › Costs`)."""

    def url(self) -> str:
        return "file://" + quote(str(self.path)) + (f"#{quote(self.anchor)}" if self.anchor else "") + (
            f"#page={self.page}" if self.page and self.format == "pdf" else "")


def target_of(corpus: Path, citation: Mapping[str, Any]) -> Target:
    """Where a citation (its JSON form) points, as a Target. The source must be a path inside the corpus."""
    source = str(citation["source"])
    parts = Path(source).parts
    if not parts or Path(source).is_absolute() or ".." in parts:
        raise UsageError(f"{source!r} is not a path inside the corpus.")
    fmt = str(citation.get("format") or "txt")
    path = (corpus / source).absolute()
    page = citation.get("page")
    section = " \u203a ".join(citation.get("section_path") or [])
    under = f" under {section}" if section else ""
    if fmt == "pdf":
        return Target(path, fmt, page=page, where=f"p. {citation.get('page_label') or page}{under}")
    if fmt in ("html", "xhtml", "htm"):
        anchor = citation.get("anchor")
        return Target(path, "html", anchor=anchor, where=(f"#{anchor}" if anchor else "") + under)
    if fmt in TEXT_LIKE:
        line = citation.get("row") if fmt in ("csv", "tsv") and citation.get("row") else citation.get("line")
        return Target(path, fmt, line=line, where=f"line {line}" if line else "")
    names = {"pptx": f"slide {page}", "ipynb": f"cell {page}", "epub": f"chapter {page}",
             "xlsx": f"sheet {citation.get('sheet')}, row {citation.get('row')}"}
    if fmt in ("docx", "odt") and citation.get("paragraph"):
        return Target(path, fmt, where=f"\u00b6{citation['paragraph']}{under}")
    return Target(path, fmt, where=names.get(fmt, "") + (under if fmt != "xlsx" else ""))


PDF_VIEWERS: dict[str, Callable[[str, Target], list[str]]] = {
    "evince": lambda exe, t: [exe, f"--page-index={t.page}", str(t.path)],
    "okular": lambda exe, t: [exe, "--page", str(t.page), str(t.path)],
    "zathura": lambda exe, t: [exe, f"--page={t.page}", str(t.path)],
    "mupdf": lambda exe, t: [exe, str(t.path), str(t.page)],
    "mupdf-gl": lambda exe, t: [exe, str(t.path), str(t.page)],
    "xpdf": lambda exe, t: [exe, str(t.path), str(t.page)],
    "qpdfview": lambda exe, t: [exe, f"{t.path}#{t.page}"],
    "atril": lambda exe, t: [exe, f"--page-index={t.page}", str(t.path)],
    "xreader": lambda exe, t: [exe, f"--page-index={t.page}", str(t.path)],
    "firefox": lambda exe, t: [exe, t.url()],
    "chromium": lambda exe, t: [exe, t.url()],
    "google-chrome": lambda exe, t: [exe, t.url()],
}
"""PDF viewers that open at a page: their command line, given the executable."""

BROWSERS = ("firefox", "chromium", "chromium-browser", "google-chrome", "brave-browser", "microsoft-edge",
            "epiphany", "falkon", "qutebrowser")

_LINE_PLUS = {"vi", "vim", "nvim", "view", "nano", "emacs", "emacsclient", "micro", "kak", "gedit", "mcedit", "joe",
              "ne", "jed", "mg", "gvim"}


def editor_command(editor: str, target: Target) -> list[str]:
    """The editor's command line for a file at a line."""
    words = shlex.split(editor)
    name = Path(words[0]).name if words else ""
    path, line = str(target.path), target.line
    if not line:
        return [*words, path]
    if name in _LINE_PLUS:
        return [*words, f"+{line}", path]
    if name in ("code", "codium", "code-insiders"):
        return [*words, "--goto", f"{path}:{line}"]
    if name in ("subl", "hx", "helix"):
        return [*words, f"{path}:{line}"]
    if name == "kate":
        return [*words, "-l", str(line), path]
    return [*words, path]


def _default_app(mime: str, which: Which) -> str | None:
    """The executable of the desktop's default application for a MIME type (from its .desktop name)."""
    if which("xdg-mime") is None:
        return None
    import subprocess  # here, as in run(): `qa ask` imports this module for `remember`, which runs nothing

    try:
        out = subprocess.run(["xdg-mime", "query", "default", mime], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    desktop = out.stdout.strip().lower().removesuffix(".desktop")
    for name in (*PDF_VIEWERS, *BROWSERS):
        if name in desktop.replace("org.gnome.", "").replace("org.kde.", "").replace("org.pwmt.", ""):
            return name
    return None


def has_display(env: Mapping[str, str]) -> bool:
    return sys.platform == "darwin" or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


@dataclass(frozen=True)
class Plan:
    """How a target is opened: the command, and whether it runs in the terminal (an editor)."""

    command: list[str] | None
    """None: nothing here can open it (no display and no editor); the place is printed instead."""
    terminal: bool = False
    """It needs the terminal: run in the foreground and wait."""


def plan(target: Target, env: Mapping[str, str] | None = None, which: Which = shutil.which) -> Plan:
    """The command that opens `target` with the user's viewer (see the module's docstring)."""
    env = os.environ if env is None else env
    display = has_display(env)
    opener = ["open"] if sys.platform == "darwin" else (["xdg-open"] if which("xdg-open") else None)
    if target.format in TEXT_LIKE:
        editor = env.get("VISUAL") or env.get("EDITOR")
        if editor:
            command = editor_command(editor, target)
            graphical = Path(shlex.split(editor)[0]).name in ("code", "codium", "subl", "gedit", "kate", "gvim")
            return Plan(command, terminal=not graphical)
    if not display:
        return Plan(None)
    if target.format == "pdf" and target.page:
        default = _default_app("application/pdf", which)
        names = [default] if default else []
        names += [n for n in PDF_VIEWERS if n not in names and n not in ("firefox", "chromium", "google-chrome")]
        for name in names:
            exe = which(name)
            if exe:
                return Plan(PDF_VIEWERS[name](exe, target))
    if target.format == "html" and target.anchor:
        browser = env.get("BROWSER")
        if browser:
            first = browser.split(":")[0]
            words = shlex.split(first)
            return Plan([w.replace("%s", target.url()) for w in words] if "%s" in first else [*words, target.url()])
        default = _default_app("text/html", which)
        for name in ([default] if default else []) + list(BROWSERS):
            exe = which(name) if name else None
            if exe:
                return Plan([exe, target.url()])
        return Plan([*opener, target.url()] if opener else None)
    return Plan([*opener, str(target.path)] if opener else None)


def run(how: Plan) -> None:
    """Run the plan: an editor in the foreground (its exit status is its own), a viewer detached."""
    import subprocess

    assert how.command is not None
    try:
        if how.terminal:
            subprocess.run(how.command, check=False)
        else:
            subprocess.Popen(how.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise UsageError(f"Could not start {how.command[0]}: {exc.strerror or exc}.") from None


# -- the last answer ----------------------------------------------------------------------------------------

PLACE_FIELDS = ("n", "source", "format", "page", "page_label", "line", "anchor", "paragraph", "row", "sheet",
                "slide", "cell", "section_path", "ocr")


def last_answer_file() -> Path:
    from index.paths import cache_home

    return cache_home() / "last-answer.json"


def remember(corpus: Path, citations: list[dict[str, Any]]) -> None:
    """Keep the places of an answer's citations for `qa open N` (no quote, no document text)."""
    from index.paths import PRIVATE_FILE, private_dir

    path = last_answer_file()
    try:
        private_dir(path.parent)
        record = {"corpus": str(corpus.absolute()),
                  "citations": [{k: c.get(k) for k in PLACE_FIELDS} for c in citations]}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh)
        os.replace(tmp, path)
    except OSError:
        pass  # remembering is a convenience: an answer never fails for it


def recalled(n: int) -> tuple[Path, dict[str, Any]]:
    """The corpus and citation n of the last `qa ask` answer; UsageError when there is none."""
    try:
        record = json.loads(last_answer_file().read_text(encoding="utf-8"))
        citations = record["citations"]
        corpus = Path(record["corpus"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError("No answer to open a citation of: ask a question first (qa ask \"...\").") from None
    for c in citations:
        if c.get("n") == n:
            return corpus, c
    raise UsageError(f"The last answer has no citation [{n}] (it has {len(citations)}).")
