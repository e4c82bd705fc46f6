"""Placeholder until the chat lands: `qa chat` tells the user what works today."""

from __future__ import annotations

from typing import Any


def run_chat(settings: Any) -> None:
    import click

    click.echo("The chat is not built yet; use `qa ask` or `qa batch`.", err=True)
