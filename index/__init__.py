"""Turning a folder of documents into a searchable, verifiable index.

This package is the bottom layer: it knows documents, chunks, embeddings and storage, and nothing about
questions, answers or user interfaces. Importing it is cheap; torch, faiss and bm25s load only when used.
"""
