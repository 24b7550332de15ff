"""The one exception type that means "the user gave us something we cannot use"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BadInput(Exception):
    """Bad input: the CLI prints ``str(self)`` and exits 2, without a traceback.

    The message always names the file, then the key or line, then what was
    expected, so a learner can act on it without reading our code.
    """

    def __init__(self, file: str | None, where: str | None, message: str) -> None:
        self.file = file
        self.where = where
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        location = ": ".join(part for part in (self.file, self.where) if part)
        return f"{location}: {self.message}" if location else self.message


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean "x"?)' suffix when ``word`` looks like a typo of a choice."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


class CannotAnalyse(Exception):
    """A valid program bptrace cannot map onto a network (exit 3, not bad input).

    The message says what was found, what was not, and how the learner can help.
    """

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.message = message
        super().__init__(f"{file}: cannot analyse: {message}")


class Cancelled(BaseException):
    """A recording given up because a newer one supersedes it (watch mode: the learner saved again).

    A BaseException, like KeyboardInterrupt: the learner's ``except Exception`` must not swallow it.
    """
