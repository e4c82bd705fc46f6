"""Answering questions about a corpus: retrieval, cited answers, and the `qa` command.

The one entry point every front end uses is `qa.engine.Engine.ask`, which turns a question into an
`Answer`. Importing this package is cheap; heavy libraries load on first use.
"""

__version__ = "0.1.0"
