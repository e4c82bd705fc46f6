"""The interactive chat, a Textual app over the same headless engine as the CLI."""
