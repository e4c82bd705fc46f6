"""The `qa` command: index, ask, batch and chat, all over the same headless Engine.

Machine output (JSON, JSONL) goes to stdout; progress, warnings and errors go to stderr. Exit codes are
`index.errors.ExitCode`. Nothing heavy is imported at module level, so `qa --help` and `qa --version`
stay fast (torch alone costs about 4 s to import).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn, TextIO

import click

from index.errors import ExitCode, QAError, UsageError
from qa import __version__, render
from qa.config import MAX_TOP_K
from qa.display import has_surrogates, terminal_safe, without_surrogates

if TYPE_CHECKING:
    from index.build import BuildSummary
    from index.types import DocumentInfo
    from qa.engine import Engine

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def common_options(func):
    func = click.option("--store", default=None, metavar="URI", expose_value=False, callback=_store_option,
                        help="Where the index is kept instead of --index: milvus:///path/index.db (Milvus "
                        "Lite, one process at a time), milvus://host:19530 or milvus+https://host (a Milvus "
                        "server; token from QA_MILVUS_TOKEN) [env: QA_STORE].")(func)
    func = click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="Index folder [default: per-corpus folder under ~/.cache/corpus-qa].")(func)
    func = click.option("--corpus", type=click.Path(file_okay=False, path_type=Path),
                        help="Folder of documents [default: the bundled seeds/].")(func)
    return func


def _store_option(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """`--store`: kept for `settings_from` as a flag's value (it wins over QA_STORE and the config file)."""
    if value:
        ctx.meta["qa.store"] = value


def _where_option(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """`--where`, checked here so a bad filter fails before anything loads; kept for `settings_from`."""
    if value:
        from index.filters import parse_where

        try:
            parse_where(value)
        except QAError as error:
            fail(error)
        ctx.meta["qa.where"] = value


def where_option(func):
    return click.option("--where", default=None, metavar="FILTER", expose_value=False, callback=_where_option,
                        help="Only answer from matching documents: path:GLOB since:YYYY-MM-DD until:YYYY-MM-DD "
                             "format:pdf title:WORDS (AND-ed) [env: QA_WHERE].")(func)


def _top_k(func):
    return click.option("-k", "--top-k", type=click.IntRange(min=1, max=MAX_TOP_K), default=None,
                        help="Passages to retrieve [default: 5].")(func)


def generate_option(func):
    return click.option("--generate/--no-generate", "generate", default=None,
                        help="Also write a fluent answer with the language model server set by llm_base_url and "
                             "llm_model; every sentence is checked against the quotes it cites [env: "
                             "QA_GENERATE; default: off].")(func)


def settings_from(corpus: Path | None, index_dir: Path | None, top_k: int | None = None,
              answers: bool = False, generate: bool | None = None):
    """The run's settings. A QA_TOP_K (or config file top_k) that --top-k would refuse is a usage error
    now, once, for commands that answer (`answers`), rather than on every question after the model loaded."""
    from qa.config import Settings

    meta = click.get_current_context().meta  # --store and --where, as their callbacks kept them
    settings = Settings.resolve(corpus, index_dir, top_k, store=meta.get("qa.store"), generate=generate,
                                where=meta.get("qa.where"))
    if answers:
        settings.check_top_k()
    return settings


class _Progress:
    """Renders build events on stderr, warnings as lines. On a terminal, a bar per stage that tqdm shows
    only once the stage has taken `DELAY` seconds (QA_PROGRESS_DELAY overrides it; 0 shows every bar), with
    the time left (qa/events.py's Estimate). Anywhere else (a log, CI) a bar's `\\r` frames would flood the
    file, so each stage gets one plain line when it starts, one every LOG_EVERY seconds while it runs (done
    of total, rate, time left) and one when it is done. `quiet` hides the chatty notices ("Loading the
    embedding model…"), never progress or warnings. `clock` is for tests."""

    DELAY = 0.5
    LOG_EVERY = 10.0
    UNITS = {"reading": "file", "ocr": "page", "embedding": "chunk"}

    def __init__(self, stream: TextIO, quiet: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        from qa.events import Estimate

        self.stream = stream
        self.quiet = quiet
        self.clock = clock
        self.estimate = Estimate()
        self.logged = clock()
        """When the last line went to a log."""
        self.tty = stream.isatty()
        try:
            self.delay = max(0.0, float(os.environ.get("QA_PROGRESS_DELAY", self.DELAY)))
        except ValueError:
            self.delay = self.DELAY
        self.bar: Any = None
        self.stage = ""
        self.started: set[str] = set()
        """Stages announced (each once, even if a stage were reported again after another)."""
        self.finished: set[str] = set()

    def __call__(self, event: object) -> None:
        from index.build import FileSkipped, Progress
        from qa.engine import Notice
        from qa.events import describe

        if isinstance(event, FileSkipped) or (isinstance(event, Notice) and event.warning):
            self._close()
            _warn(describe(event)[0])
        elif isinstance(event, Notice) and not self.quiet:
            self._close()
            click.echo(terminal_safe(describe(event)[0]), err=True)
        elif isinstance(event, Progress):
            now = self.clock()
            left = self.estimate.update(event, now)
            if event.stage != self.stage:
                self._close()
                self.stage = event.stage
                if not self.tty and event.stage not in self.started:
                    self.started.add(event.stage)
                    self._line(f"{event.stage} {self._count(event.stage, event.total)}…")
                    self.logged = now
            if self.tty:
                self._draw(event.stage, event.done, event.total, left)
            elif event.done < event.total and now - self.logged >= self.LOG_EVERY:
                self._line(self._status(event, left))
                self.logged = now
            elif event.done >= event.total and event.stage not in self.finished:
                # No time per stage: the builder reports a stage's first step only once it is done, so
                # the time of that step (and of loading the model) would be counted in the stage before.
                self.finished.add(event.stage)
                count = "" if event.stage == "writing" else f" ({self._count(event.stage, event.total)})"
                self._line(f"{event.stage} done{count}")

    def _count(self, stage: str, total: int) -> str:
        if stage == "writing":
            return "the index"
        return f"{total} {self.UNITS.get(stage, 'item')}{'' if total == 1 else 's'}"

    def _line(self, text: str) -> None:
        click.echo(terminal_safe(text), file=self.stream)

    def _status(self, event: Any, left: float | None) -> str:
        """`embedding 1200/4056 chunks (29%), 41 chunks/s, about 1:10 left`: a log's line while a stage runs."""
        from qa.events import clock_time

        unit = self.UNITS.get(event.stage, "item")
        text = f"{event.stage} {event.done}/{event.total} {unit}s ({100 * event.done // max(event.total, 1)}%)"
        if self.estimate.rate is not None:
            text += f", {self.estimate.rate:.1f} {unit}s/s"
        return text + (f", about {clock_time(left)} left" if left is not None else "")

    def _draw(self, stage: str, done: int, total: int, left: float | None) -> None:
        if self.bar is None and 1 < total and done < total:
            from tqdm import tqdm

            # tqdm's own "remaining" follows the recent rate of items; ours (Estimate) the stage's rate of work
            self.bar = tqdm(total=total, desc=stage, unit=self.UNITS.get(stage, "item"),
                            file=self.stream, leave=False, dynamic_ncols=True, delay=self.delay,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}, {rate_fmt}{postfix}]")
        if self.bar is not None:
            if left is not None:
                from qa.events import clock_time

                self.bar.set_postfix_str(f"about {clock_time(left)} left", refresh=False)
            self.bar.update(done - self.bar.n)  # update(), not refresh(): it is what honours `delay`

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def run(self, events: Iterable[object]) -> object:
        """Render every event; return the build summary among them, if any."""
        from index.build import BuildSummary

        summary = None
        try:
            for event in events:
                self(event)
                if isinstance(event, BuildSummary):
                    summary = event
        finally:
            self._close()
        return summary


def fail(error: QAError) -> NoReturn:
    click.echo(f"error: {terminal_safe(str(error))}", err=True)
    sys.exit(int(error.exit_code))


def _warn(message: str) -> None:
    """A warning line on stderr; `message` may hold file names or document text, so it is escaped."""
    click.echo(f"warning: {terminal_safe(message)}", err=True)


INTERRUPTED = 130
"""Exit code after Ctrl+C (SIGINT), the shell convention 128 + 2."""


def _interrupted() -> None:
    # After a bar or the batch counter (\r lines), or the terminal's own "^C" echo, start a fresh line.
    click.echo(f"{chr(10) if sys.stderr.isatty() else ''}interrupted", err=True)
    onnx = sys.modules.get("index.embedding.onnx")
    if onnx is not None:
        onnx.settle()  # a question encoder still opening in its thread (~0.1 s) is never torn down by the exit


@contextmanager
def _as_users_see_it() -> Iterator[None]:
    """Ctrl+C becomes "interrupted" and exit 130 (click itself says "Aborted!" and exits 1), and click's own
    error messages, which quote arguments such as file names, are escaped like the rest of the output."""
    try:
        yield
    except KeyboardInterrupt:
        _interrupted()
        raise click.exceptions.Exit(INTERRUPTED) from None
    except click.ClickException as exc:
        exc.message = terminal_safe(exc.message)  # type: ignore[misc]  # Final in click's stubs only
        raise


class _Group(click.Group):
    """click's group, with every error of parsing (`make_context`) and of the command (`invoke`) shown as
    users see them (`_as_users_see_it`)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _as_users_see_it():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _as_users_see_it():
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="qa")
def cli() -> None:
    """Ask questions about a folder of documents; every answer quotes the documents and cites them.

    Runs fully offline. Without --corpus, questions are about the bundled seeds/ corpus.

    \b
    Exit codes: 0 ok, 1 unexpected failure, 2 usage error, 3 corpus missing or empty,
    4 index damaged or built by another model, 5 index busy, 6 model failed to load,
    7 batch finished with some failed lines, 8 index could not be written (disk full, no permission),
    9 Ray cluster unreachable or failed (index --ray), 10 Milvus server unreachable (--store),
    11 the documents did not answer (only with --fail-on-abstain), 130 interrupted (Ctrl+C).
    """


LOCAL_RAY = "\0local"
"""`--ray` given without an address."""


@cli.command("index", context_settings=CONTEXT)
@common_options
@click.option("--rebuild", is_flag=True, help="Discard the existing index and build it from scratch.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
@click.option("--watch", is_flag=True,
              help="Then keep watching the corpus and update the index when files change, one line per "
                   "update (with --json, one JSON object per line), until Ctrl+C.")
@click.option("--ray", "ray_address", is_flag=False, flag_value=LOCAL_RAY, default=None, metavar="[ADDRESS]",
              help="Read, chunk and embed on a Ray cluster (pip install 'corpus-qa[ray]'): at ADDRESS, or "
                   "RAY_ADDRESS, or else a local Ray on this machine's cores. The index is written here.")
def index_cmd(corpus: Path | None, index_dir: Path | None, rebuild: bool, as_json: bool, watch: bool,
              ray_address: str | None) -> None:
    """Build or update the index of a corpus (only changed files are re-embedded)."""
    from index.build import BuildSummary
    from qa.engine import Engine

    runner = None
    try:
        settings = settings_from(corpus, index_dir)
        if ray_address is not None:
            from index.build.ray import RayRunner

            runner = RayRunner(None if ray_address == LOCAL_RAY else ray_address, settings.embedder,
                               settings.precision)
        engine = Engine(settings, runner=runner)
        click.get_current_context().call_on_close(engine.close)
        summary = _Progress(sys.stderr).run(engine.reindex(rebuild=rebuild))
        assert isinstance(summary, BuildSummary)
        _report_index(summary, engine.settings, as_json, engine)
        if watch:
            _watch(engine, as_json, {s.source for s in summary.skipped})
    except QAError as error:
        fail(error)
    finally:
        if runner is not None:
            runner.close()  # stops the Ray it started (after the build, or at Ctrl+C)


def _report_index(summary: BuildSummary, settings: Any, as_json: bool, engine: Engine | None = None) -> None:
    decoded = [{"source": d.source, "encoding": d.encoding} for d in (engine.documents("") if engine else [])
               if d.encoding]
    data = summary.to_dict() | {"corpus": str(settings.corpus), "decoded": decoded}
    if as_json:
        click.echo(json.dumps(data))
    else:
        state = "updated" if summary.updated else "already up to date"
        click.echo(
            f"Index {state}: {data['documents']} documents, {data['chunks']} chunks "
            f"({data['embedded']} embedded now), {data['removed']} removed, {data['skipped']} skipped, "
            f"{data['seconds']:.2f} s.\nIndex folder: {terminal_safe(str(data['index']))}",
            err=True,
        )
        for line in index_notes(data):
            click.echo(terminal_safe(line), err=True)


def index_notes(data: dict[str, Any]) -> list[str]:
    """What a summary says beyond its counts: formats it does not read (`ignored: 3 .png, 1 .zip`), what
    .qaignore left out, and text files decoded from another encoding than UTF-8."""
    lines = []
    ignored = data.get("ignored") or {}
    if ignored:
        shown = [f"{n} {ext}" for ext, n in list(ignored.items())[:12]]
        more = sum(ignored.values()) - sum(n for n in list(ignored.values())[:12])
        lines.append("ignored (formats not read): " + ", ".join(shown) + (f", {more} more" if more else ""))
    if data.get("excluded"):
        n = data["excluded"]
        lines.append(f"excluded by .qaignore: {n} {'file or folder' if n == 1 else 'files and folders'}")
    decoded = data.get("decoded") or []
    if decoded:
        names = ", ".join(f"{d['source']} ({d['encoding']})" for d in decoded[:5])
        lines.append(f"decoded from another encoding than UTF-8: {names}" +
                     (f" and {len(decoded) - 5} more" if len(decoded) > 5 else ""))
    return lines


def _watch(engine: Engine, as_json: bool, warned: set[str]) -> None:
    """`qa index --watch`: update the index whenever files change, until Ctrl+C (exit 130 by _Group). Progress
    bars on a terminal only; a skipped file is warned about once, not on every update."""
    import time

    from index.build import FileSkipped
    from qa.engine import Notice
    from qa.events import describe
    from qa.watch import CorpusWatcher, WatchProblem, WatchUpdate

    progress: list[_Progress] = []

    def on_event(event: object) -> None:
        if isinstance(event, FileSkipped):
            if event.skipped.source not in warned:
                warned.add(event.skipped.source)
                _warn(describe(event)[0])
        elif isinstance(event, Notice):
            if event.warning:
                _warn(describe(event)[0])
        elif sys.stderr.isatty():
            if not progress:
                progress.append(_Progress(sys.stderr, quiet=True))
            progress[0](event)

    def on_update(update: WatchUpdate) -> None:
        if progress:
            progress.pop()._close()
        if as_json:
            corpus = {"corpus": str(engine.settings.corpus)}
            click.echo(json.dumps(update.summary.to_dict() | update.to_dict() | corpus))
        else:
            click.echo(f"{time.strftime('%H:%M:%S')} index updated: {update.describe()}", err=True)

    def on_problem(problem: WatchProblem) -> None:
        if progress:
            progress.pop()._close()
        _warn(problem.message)

    def on_ready() -> None:
        click.echo(f"Watching {terminal_safe(str(engine.settings.corpus))} for changes (Ctrl+C to stop)…", err=True)

    CorpusWatcher(engine, on_update=on_update, on_problem=on_problem, on_event=on_event, on_ready=on_ready).run()


def _prepared_engine(settings, refresh: bool = True):
    from qa.engine import Engine

    engine = Engine(settings)
    click.get_current_context().call_on_close(engine.close)  # a Milvus Lite store's server goes with it
    _Progress(sys.stderr, quiet=True).run(engine.prepare(refresh=refresh))
    return engine


@cli.command(context_settings=CONTEXT)
@click.argument("question")
@common_options
@where_option
@_top_k
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (see README for the fields).")
@click.option("-v", "--verbose", is_flag=True, help="Also list the retrieved passages when it answers.")
@click.option("--fail-on-abstain", is_flag=True,
              help="Exit with status 11 when the documents do not answer (default: 0, as for an answer).")
@generate_option
def ask(question: str, corpus: Path | None, index_dir: Path | None, top_k: int | None, as_json: bool,
        verbose: bool, fail_on_abstain: bool, generate: bool | None) -> None:
    """Answer QUESTION from the corpus ('-' reads it from stdin)."""
    from qa.engine import normalize_question

    if question == "-":
        # Bytes, decoded here: undecodable input becomes lone surrogates, which normalize_question refuses
        # with a usage error, whatever the locale's error handler for stdin is.
        question = sys.stdin.buffer.read().decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    try:
        asked = normalize_question(question)  # fail fast, before loading the model
        engine = _prepared_engine(settings_from(corpus, index_dir, top_k, answers=True, generate=generate))
        answer = engine.ask(asked)
    except QAError as error:
        fail(error)
    for warning in answer.warnings:
        _warn(warning)
    from qa.opener import remember

    record = answer.to_dict(id=1)
    remember(engine.settings.corpus, record["citations"])  # for `qa open N`
    if as_json:
        try:
            out = json.dumps(record, ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN or Infinity: not JSON, and a sign that a score came from a damaged index
            from index.errors import IndexStateError

            fail(IndexStateError(f"The answer holds a score that is not a number, which JSON cannot carry: the "
                                  f"index may be damaged. {engine.store.rebuild_hint}"))
        click.echo(out)
    else:
        click.echo(render.terminal(answer, verbose=verbose, link=_linker(engine.settings.corpus)))
    if fail_on_abstain and answer.abstained:
        sys.exit(int(ExitCode.ABSTAINED))


def _linker(corpus: Path) -> Any:
    """Citation -> the file:// URL of its place, when stdout is a terminal that shows OSC 8 links; else None."""
    from qa.display import supports_hyperlinks

    if not supports_hyperlinks(sys.stdout.isatty()):
        return None
    from qa.opener import target_of

    return lambda c: target_of(corpus, {"source": c.source, "format": c.format, "page": c.page,
                                        "anchor": c.where.anchor}).url()


@cli.command("open", context_settings=CONTEXT)
@click.argument("n", type=click.IntRange(min=1))
@click.option("--print", "dry_run", is_flag=True, help="Print the command that would open it, and do nothing.")
def open_cmd(n: int, dry_run: bool) -> None:
    """Open the source of citation N of the last `qa ask` answer where it points: a PDF at its page, an HTML
    page at its anchor, a text file at its line in $VISUAL/$EDITOR, anything else with the default
    application (xdg-open; open on macOS), printing the place to look (slide, sheet and row, paragraph).
    """
    import shlex

    from qa.opener import plan, recalled, run, target_of

    try:
        corpus, citation = recalled(n)
        target = target_of(corpus, citation)
        how = plan(target)
        where = f" ({target.where})" if target.where else ""
        if how.command is None:
            click.echo(terminal_safe(f"No display and no $EDITOR to open it with: the citation is in "
                                     f"{target.path}{where}."), err=True)
            return
        shown = " ".join(shlex.quote(word) for word in how.command)
        if dry_run:
            click.echo(terminal_safe(shown))
            return
        click.echo(terminal_safe(f"Opening {target.path}{where}: {shown}"), err=True)
        run(how)
    except QAError as error:
        fail(error)


@cli.command(context_settings=CONTEXT)
@click.argument("file", type=click.File("rb"), default="-")
@common_options
@where_option
@_top_k
@click.option("--fail-on-abstain", is_flag=True,
              help="Exit with status 11 when a question went unanswered (after the whole batch).")
@generate_option
def batch(file: BinaryIO, corpus: Path | None, index_dir: Path | None, top_k: int | None,
          fail_on_abstain: bool, generate: bool | None) -> None:
    """Answer one question per line of FILE ('-' or nothing: stdin), writing JSONL to stdout.

    A line is plain text or a JSON object {"id": ..., "question": ..., "where": ...} (id: a string, a
    whole number or null; where: a filter as for --where, for that line only). Output has one object per
    input line that is not blank, in order (ids default to line numbers); a line that fails gets an object
    with "error" set and the batch goes on.
    """
    from qa.batch_input import dumps_record, parse_request, read_lines
    from qa.types import error_record

    try:
        engine = _prepared_engine(settings_from(corpus, index_dir, top_k, answers=True, generate=generate))
    except QAError as error:
        fail(error)
    failed = answered = abstained = 0
    for number, raw in read_lines(file):
        if not raw.strip():
            continue  # a blank line (a trailing one, a spacer between groups) asks nothing
        qid: Any = number
        question = raw.decode("utf-8", "replace")
        try:
            qid, question, where = parse_request(number, raw)
            record = engine.ask(question, where=where).to_dict(id=qid)
        except QAError as error:
            if error.exit_code not in (ExitCode.USAGE, ExitCode.FAILURE):
                fail(error)  # the index or model broke: every further line would fail too
            record = error_record(qid, without_surrogates(question), str(error))
        try:
            out = dumps_record(record)
        except ValueError:  # a score that is not a finite number: a bug, but only this line pays for it
            record = error_record(qid, question, "internal error: a score is not a finite number; please "
                                  "report this question")
            out = dumps_record(record)
        if record["error"] is None:
            answered += 1
            abstained += bool(record["abstained"])
        else:
            failed += 1
        sys.stdout.write(out)
        sys.stdout.flush()
        if sys.stderr.isatty():
            click.echo(f"\ranswered {answered}, failed {failed}", err=True, nl=False)
    click.echo(f"{'' if not sys.stderr.isatty() else chr(10)}batch: {answered} answered, {failed} failed",
               err=True)
    if failed:
        sys.exit(int(ExitCode.PARTIAL))
    if fail_on_abstain and abstained:
        sys.exit(int(ExitCode.ABSTAINED))


@cli.command("eval", context_settings=CONTEXT)
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@common_options
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
@click.option("--details", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write one JSON line per question (rank of the gold document, answer) here.")
def eval_cmd(questions: Path, corpus: Path | None, index_dir: Path | None, limit: int | None, as_json: bool,
             details: Path | None) -> None:
    """Measure answer quality on a JSONL question file (see README, "Measuring quality").

    Each line: {"id", "question"} plus any of "gold_sources" (paths) or "gold_title", "gold_page",
    "answers" (strings a right answer holds, all of them), "any" (one of them) and "abstain" (true/false).
    Reports recall@1/5/10 and MRR@10 by document, page accuracy, answer accuracy, abstention
    precision/recall, the citation verbatim rate and latency.
    """
    from qa.evaluate import evaluate, format_report, load_questions

    try:
        items = load_questions(questions)[:limit]
        settings = settings_from(corpus, index_dir, 10)
        engine = _prepared_engine(settings)
        report = evaluate(engine.ask, engine.settings.corpus, items, document_text=engine.document_text,
                          sources_titled=engine.sources_titled)
    except QAError as error:
        fail(error)
    if details:
        details.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in report.rows),
                           encoding="utf-8")
    if as_json:
        click.echo(json.dumps(report.summary()))
    else:
        click.echo(terminal_safe(format_report(report), keep="\n"))


@cli.command(context_settings=CONTEXT)
@click.argument("source")
@common_options
def text(source: str, corpus: Path | None, index_dir: Path | None) -> None:
    """Print the text of SOURCE exactly as it is indexed, the text every citation's start/end index.

    SOURCE is the document's path relative to the corpus, as citations give it. For .txt, .md and .rst
    this is the file itself; for PDF, HTML, DOCX and EPUB it is the text extracted from it, so
    `text[start:end] == quote` can be checked for every citation. Nothing is added: no final newline.
    On a terminal, control characters are shown escaped (\\x1b); piped or redirected, the text is exact.
    """
    try:
        engine = _prepared_engine(settings_from(corpus, index_dir), refresh=False)
        # A name with undecodable bytes cannot be in the index (its sources are UTF-8), nor be looked up.
        content = None if has_surrogates(source) else engine.document_text(source)
    except QAError as error:
        fail(error)
    if content is None:
        fail(UsageError(f"{source} is not in the index. Give its path relative to the corpus folder, as "
                         "citations show it (e.g. notes/report.pdf)."))
    if sys.stdout.isatty():
        # On a screen, the document's controls are shown escaped like everywhere else; its own line
        # breaks and tabs are its layout. Piped or redirected, the text is exact, for checking offsets.
        content = terminal_safe(content, keep="\n\t")
    sys.stdout.flush()
    sys.stdout.buffer.write(content.encode("utf-8"))
    sys.stdout.buffer.flush()


def describe_size(info: DocumentInfo) -> str:
    """What a listing shows of a document's length: its pages, slides, cells or sheets; rows for tables;
    characters otherwise; with the pages read by OCR."""
    names = {"pdf": "page", "epub": "chapter", "pptx": "slide", "ipynb": "cell", "xlsx": "sheet"}
    parts = []
    if info.format in names:
        parts.append(f"{info.pages} {names[info.format]}{'' if info.pages == 1 else 's'}")
    if info.format in ("xlsx", "csv", "tsv"):
        parts.append(f"{info.units} row{'' if info.units == 1 else 's'}")
    elif info.format not in names:
        parts.append(f"{info.chars:,} chars")
    if info.ocr_pages:
        parts.append(f"{info.ocr_pages} by OCR")
    if info.encoding:
        parts.append(info.encoding)
    return ", ".join(parts)


def _when(stamp: float | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "-"


@cli.command("ls", context_settings=CONTEXT)
@common_options
@where_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document (JSON Lines).")
def ls_cmd(corpus: Path | None, index_dir: Path | None, as_json: bool) -> None:
    """List the indexed documents: format, pages (slides, cells, sheets) or rows, and when each was indexed.

    Builds the index first if there is none; does not refresh it (run `qa index` for that).
    """
    try:
        engine = _prepared_engine(settings_from(corpus, index_dir), refresh=False)
        documents = engine.documents()
    except QAError as error:
        fail(error)
    if as_json:
        import datetime as dt

        for d in documents:
            indexed = dt.datetime.fromtimestamp(d.indexed, dt.UTC).isoformat(timespec="seconds") \
                if d.indexed else None
            click.echo(json.dumps({"source": d.source, "title": d.title, "date": d.date, "format": d.format,
                                   "pages": d.pages, "units": d.units, "chars": d.chars, "ocr_pages": d.ocr_pages,
                                   "encoding": d.encoding, "indexed": indexed}, ensure_ascii=False))
        return
    rows = [(d.source, d.format, describe_size(d), _when(d.indexed)) for d in documents]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(("document", "format", "size", ""))]
    click.echo(terminal_safe(f"{'document':<{widths[0]}}  {'format':<{widths[1]}}  {'size':<{widths[2]}}  indexed"))
    for source, fmt, size, when in rows:
        click.echo(terminal_safe(f"{source:<{widths[0]}}  {fmt:<{widths[1]}}  {size:<{widths[2]}}  {when}"))
    click.echo(f"{len(rows)} document{'' if len(rows) == 1 else 's'}", err=True)


@cli.command("mcp", context_settings=CONTEXT)
@common_options
@where_option
@click.option("--http", "http_port", type=click.IntRange(min=1, max=65535), default=None, metavar="PORT",
              help="Serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio; every request must "
                   "send 'Authorization: Bearer TOKEN' (the token's file is printed on stderr; mcp_token in the "
                   "config file or QA_MCP_TOKEN sets it).")
@click.option("--watch/--no-watch", default=True, show_default=True,
              help="Update the index in the background whenever files change.")
def mcp_cmd(corpus: Path | None, index_dir: Path | None, http_port: int | None, watch: bool) -> None:
    """Serve the corpus to AI assistants as an MCP server (stdio by default).

    \b
    Tools: ask (the `qa ask --json` object), search (ranked passages), read (a document's
    indexed text, or a span of it: every citation's quote), list_documents.
    Client configuration, with the absolute path of qa (`which qa`: clients do not search your PATH):
    {"mcpServers": {"corpus-qa": {"command": "/abs/path/to/qa",
                                  "args": ["mcp", "--corpus", "/path/to/docs"]}}}
    Run `qa index --corpus DIR` first for a large folder, so the server answers at once.
    The model and index load once, in the background; stdout carries only the protocol.
    --where sets the filter of calls that give none.
    """
    try:
        settings = settings_from(corpus, index_dir, answers=True)
        from qa.engine import check_corpus

        check_corpus(settings.corpus)  # now, not at the first call: the client shows that the server failed
    except QAError as error:
        fail(error)
    from qa.mcp_server import serve  # the MCP SDK is imported only here: `qa ask` never pays for it

    try:
        serve(settings, _Progress(sys.stderr), http_port, watch)
    except QAError as error:  # before serving: the port is in use, the token cannot be written
        fail(error)


@cli.command("config", context_settings=CONTEXT)
@common_options
@where_option
@click.option("--json", "as_json", is_flag=True, help="Print the settings as one JSON object.")
def config_cmd(corpus: Path | None, index_dir: Path | None, as_json: bool) -> None:
    """Show the settings in effect and where each comes from: a flag, a QA_* environment variable, the
    config file ($XDG_CONFIG_HOME/corpus-qa/config.toml) or the built-in default, in that order of precedence;
    and the installed torch build (a warning when it is a CUDA build on a machine without a GPU).
    """
    from qa.config import config_path
    from qa.torch_build import detect

    try:
        settings = settings_from(corpus, index_dir)
    except QAError as error:
        fail(error)
    rows = settings.rows()
    torch = detect()
    if as_json:
        click.echo(json.dumps({"config_file": str(config_path()),
                               "settings": {name: {"value": value, "from": origin} for name, value, origin in rows},
                               "torch": torch.to_dict()}))
        return
    width = max(len(name) for name, _v, _o in rows)
    # Values come from the environment and a file: escaped like everything a terminal shows.
    click.echo(terminal_safe(f"config file: {config_path()}{'' if config_path().exists() else ' (none)'}"))
    for name, value, origin in rows:
        click.echo(terminal_safe(f"{name:<{width}}  {value}  ({origin})"))
    click.echo(f"torch build: {torch.describe()}")
    warning = torch.warning()
    if warning:
        _warn(warning)


def main() -> None:
    """The headless commands on their own (the `qa` console script is tui.cli:main, which adds `chat`)."""
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # outside the command, e.g. while click reports an error
        _interrupted()
        sys.exit(INTERRUPTED)
