"""What every command module shares: the user-error type printed as one line."""
from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 1."""
