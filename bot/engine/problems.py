"""Problems found in flows and locales, reported as ``file:line:col: message``."""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        tag = "" if self.severity == ERROR else "warning: "
        return f"{self.file}:{self.line}:{self.col}: {tag}{self.message}"


class FlowError(Exception):
    """Raised when a flow set with errors is asked to go live."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == ERROR]
        super().__init__("\n".join(str(p) for p in self.problems))
