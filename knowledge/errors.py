"""The exceptions knowledge/ raises when its files cannot be read; the messages name the file."""

from __future__ import annotations


class CorpusError(ValueError):
    """A corpus line that cannot be read: the message names the file and line."""


class KnowledgeBaseError(ValueError):
    """The KB files are not readable as a knowledge base at all."""
