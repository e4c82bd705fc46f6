"""Text analysis shared by indexing and answering: sentences and chunks (chunking.py), keyword terms and
the names written as code (keywords.py), title keys (titles.py). Pure functions over strings: nothing here
reads files, embeds or stores."""
