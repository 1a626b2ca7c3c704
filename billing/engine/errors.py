"""The engine's one exception: every bad input is a ScenarioError naming its problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def join_path(path: str, key: str | int) -> str:
    """The path of a field or list item inside the value at `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located by its path in the document."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """Raised for any input the engine refuses; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, path: str, message: str) -> ScenarioError:
        return cls([Problem(path, message)])
