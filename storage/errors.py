"""The exceptions storage/ raises. Their messages are for officers or admins (Indonesian) unless said otherwise.

One module, so bot/ and flows/ catch them without reaching into the module that raises them.
"""

from __future__ import annotations


class CaseError(Exception):
    """An illegal transition, or an action the officer's role may not take. The message is for officers."""


class CaseForbidden(CaseError):
    """The officer's role (or not being the assignee) does not allow this action."""


class CaseNotFound(CaseError):
    """No case with that id."""


class PersonError(CaseError):
    """A link, unlink or flag that cannot be made; the message is for officers."""


class ListError(Exception):
    """A refused edit of a list; the message is for the admin."""


class OfficerError(ValueError):
    """An officer account cannot be created or changed as asked."""


class DuplicateKey(Exception):
    """A unique key was already taken: another transaction stored the same row first."""
