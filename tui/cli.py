"""The composition root of the `qa` command: the headless commands of qa.cli, plus `qa chat`, the one
command that needs the terminal UI.

It lives here, in the outermost layer, so that the layers only ever import inwards (index <- qa <- tui):
`qa` never imports `tui` (tests/test_layers.py). Textual itself is imported only when `qa chat` runs, so
the other commands start as fast as before.
"""

from __future__ import annotations

from pathlib import Path

import click

from index.errors import QAError
from qa.cli import CONTEXT, cli, common_options, fail, generate_option, settings_from, where_option
from qa.cli import main as _headless_main


@cli.command(context_settings=CONTEXT)
@common_options
@where_option
@click.option("--watch", is_flag=True, help="Update the index in the background whenever files change.")
@generate_option
def chat(corpus: Path | None, index_dir: Path | None, watch: bool, generate: bool | None) -> None:
    """Open the interactive chat (a terminal app) on the corpus."""
    from tui.app import run_chat

    try:
        settings = settings_from(corpus, index_dir, answers=True, generate=generate)
    except QAError as error:
        fail(error)
    run_chat(settings, watch=watch)


def main() -> None:
    """Console entry point of `qa`: every command, the chat included."""
    _headless_main()
