"""The index layer: everything that turns a folder of documents into a searchable index and reads it back.

    reading/    which files a corpus holds (scan.py), each one's text and structure (load.py, formats/)
    text/       sentences and chunks, keyword terms and code names, title keys: pure text analysis
    embedding/  the Embedder protocol (base.py), MiniLM (with its torch-free ONNX question encoder), hashing
    storage/    the storage protocols (base.py), the local folder backend (local/), Milvus (milvus/);
                `open_store` in storage/__init__.py is the only place that names a backend
    build/      building and refreshing an index as a generator of progress events, here or on Ray

Shared by all of them: types.py (the domain model), errors.py (errors written for the user), filters.py
(`--where`), paths.py (cache and private folders), memory.py. Imports flow one way (tests/test_layers.py):
reading and text import neither embedding nor storage; the backends never import each other.
"""
