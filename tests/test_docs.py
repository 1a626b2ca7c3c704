"""The documentation's examples, priced by the engine, so that docs/*.md cannot drift.

Every ```json block in docs/*.md is followed on the next line by what it is
(docs/documents.md, "How the examples are checked"):

    <!-- expect NAME: path=value ... -->   a document, and figures of its result
    <!-- refused NAME: path ... -->        a document refused, naming these paths
    <!-- result of NAME -->                the whole answer to the example NAME
    (nothing)                              a fragment, which must not be a whole document
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from billing.engine import ScenarioError, is_estimate, parse_estimate, parse_scenario
from billing.service import load_json, price_any
from calculator.api.views import error_response

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))

# The pricing documents' own worked examples, which docs/pricing.md gives number for number.
SEED_EXAMPLES = {
    "5000-call-minutes",
    "2000-recording-minutes",
    "1500-monitoring-minutes",
    "conference-40-minutes",
    "ivr-then-agent",
    "alexa-like-sip",
    "45-participant-minutes",
    "lone-user-publishes-late",
    "streams-do-not-count",
    "two-devices",
}

ANNOTATION = re.compile(r"<!--\s*(expect|refused|result of)\b\s*([\w-]*)\s*:?(.*?)-->", re.DOTALL)
ANNOTATION_START = re.compile(r"<!--\s*(expect|refused|result of)\b")
PATH_TOKEN = re.compile(r"\.?([A-Za-z_]\w*)|\[([^\]]+)\]")


@dataclass
class Example:
    file: str
    line: int
    kind: str  # "expect", "refused", "result of" or "fragment"
    name: str
    text: str
    checks: list[tuple[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.name}" if self.name else "")


def read_examples(path: Path) -> tuple[list[Example], list[int]]:
    """The ```json blocks of a Markdown file, each with its annotation; and the lines of
    annotations that follow no ```json block (misplaced, so nothing would check them)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    attached: set[int] = set()
    in_fence = False
    stray: list[int] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```json") and not in_fence:
            start = index + 1
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            text = "\n".join(lines[start:end])
            example = Example(path.name, start, "fragment", "", text)
            after = end + 1
            if after < len(lines) and lines[after].startswith("<!--"):
                comment_end = after
                while "-->" not in lines[comment_end]:
                    comment_end += 1
                comment = "\n".join(lines[after : comment_end + 1])
                match = ANNOTATION.fullmatch(comment.strip())
                assert match, f"{path.name}:{after + 1}: not an annotation: {comment}"
                example.kind, example.name, body = match.group(1), match.group(2), match.group(3)
                if example.kind == "expect":
                    for token in shlex.split(body):
                        key, equals, value = token.partition("=")
                        assert equals, f"{path.name}:{after + 1}: {token!r} is not path=value"
                        example.checks.append((key, value))
                elif example.kind == "refused":
                    example.paths = body.split()
                attached.add(after)
                index = comment_end
            examples.append(example)
            index = max(index, end) + 1
            continue
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and ANNOTATION_START.match(line.strip()) and index not in attached:
            stray.append(index + 1)
        index += 1
    return examples, stray


EXAMPLES = [example for path in DOCS for example in read_examples(path)[0]]


def of_kind(kind: str) -> list[Any]:
    return [pytest.param(e, id=e.id) for e in EXAMPLES if e.kind == kind]


def resolve(document: Any, path: str) -> Any:
    """The value at `path`: names joined by dots, `[n]` an item of a list, `[meter]` the
    line of that meter, `length` the number of items of a list."""
    value = document
    position = 0
    while position < len(path):
        match = PATH_TOKEN.match(path, position)
        assert match, f"cannot read the path {path!r} at {path[position:]!r}"
        position = match.end()
        name, selector = match.groups()
        if name == "length" and isinstance(value, list):
            value = len(value)
        elif name is not None:
            assert isinstance(value, dict), f"{path}: {name!r} of something not an object"
            assert name in value, f"{path}: no field {name!r}"
            value = value[name]
        elif selector.isdigit():
            assert isinstance(value, list), f"{path}: [{selector}] of something not a list"
            assert int(selector) < len(value), f"{path}: no item {selector}"
            value = value[int(selector)]
        else:
            found = [item for item in value if item.get("meter") == selector]
            assert found, f"{path}: no line of the meter {selector!r}"
            value = found[0]
    return value


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def answer(example: Example) -> Any:
    """What the API answers for the example's document: its result, or its problems."""
    try:
        return json.loads(json.dumps(price_any(load_json(example.text))))
    except ScenarioError as error:
        problems = [{"path": p.path, "message": p.message} for p in error.problems]
        return json.loads(error_response(400, problems).content)


def test_the_docs_have_examples_of_each_kind():
    assert {path.name for path in DOCS} >= {"pricing.md", "documents.md"}
    kinds = {e.kind for e in EXAMPLES}
    assert {"expect", "refused", "result of"} <= kinds
    estimates = [e for e in EXAMPLES if e.kind == "expect" and is_estimate(json.loads(e.text))]
    assert len(estimates) >= 2


def test_the_pricing_documents_worked_examples_are_all_there():
    named = {e.name for e in EXAMPLES if e.file == "pricing.md" and e.kind == "expect"}
    assert named >= SEED_EXAMPLES


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_annotation_follows_a_json_block(path):
    examples, stray = read_examples(path)
    assert stray == [], f"{path.name}: annotations on lines {stray} follow no ```json block"
    names = [e.name for e in examples if e.name and e.kind != "result of"]
    assert len(names) == len(set(names)), f"{path.name}: example names must be unique"


@pytest.mark.parametrize("example", [pytest.param(e, id=e.id) for e in EXAMPLES])
def test_every_json_block_is_json(example):
    json.loads(example.text)


@pytest.mark.parametrize("example", of_kind("expect"))
def test_each_stated_figure_is_what_the_engine_gives(example):
    assert example.checks, f"{example.id}: an example must state at least one figure"
    result = answer(example)
    assert "problems" not in result, f"{example.id} is refused: {result['problems']}"
    wrong = [
        f"{path}: the doc says {expected}, the engine gives {as_text(resolve(result, path))}"
        for path, expected in example.checks
        if as_text(resolve(result, path)) != expected
    ]
    assert wrong == [], f"{example.id}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("example", of_kind("refused"))
def test_each_refused_example_is_refused_naming_its_paths(example):
    with pytest.raises(ScenarioError) as error:
        price_any(load_json(example.text))
    assert sorted(p.path for p in error.value.problems) == sorted(example.paths)


@pytest.mark.parametrize("example", of_kind("result of"))
def test_each_result_shown_is_the_whole_answer(example):
    named = [
        e
        for e in EXAMPLES
        if e.file == example.file and e.name == example.name and e.kind in ("expect", "refused")
    ]
    assert named, f"{example.id}: no example called {example.name!r} in {example.file}"
    differences = list(differ(json.loads(example.text), answer(named[0]), ""))
    assert differences == [], f"{example.id}:\n" + "\n".join(differences)


def differ(shown: Any, actual: Any, path: str) -> Iterator[str]:
    """Where a result shown in the docs differs from the engine's, by path."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        for key in shown.keys() | actual.keys():
            where = f"{path}.{key}" if path else key
            if key not in actual:
                yield f"{where}: in the doc, not in the engine's answer"
            elif key not in shown:
                yield f"{where}: in the engine's answer, not in the doc"
            else:
                yield from differ(shown[key], actual[key], where)
    elif isinstance(shown, list) and isinstance(actual, list) and len(shown) == len(actual):
        for n, (a, b) in enumerate(zip(shown, actual, strict=True)):
            yield from differ(a, b, f"{path}[{n}]")
    elif shown != actual:
        yield f"{path}: the doc shows {as_text(shown)}, the engine gives {as_text(actual)}"


@pytest.mark.parametrize("example", of_kind("fragment"))
def test_a_block_without_figures_is_not_a_whole_document(example):
    document = load_json(example.text)
    parse = parse_estimate if is_estimate(document) else parse_scenario
    with pytest.raises(ScenarioError):
        parse(document)


# Written in two parts, so that this file does not name them itself.
OUTSIDE = ("../" + "shared", "PRODUCT" + ".md", "/work/" + "shared")


def test_nothing_refers_to_files_outside_the_repository():
    files = [*DOCS, ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml"]
    for folder in ("billing", "calculator", "templates", "static/js", "static/css", "examples"):
        files += [
            p
            for p in (ROOT / folder).rglob("*")
            if p.suffix in {".py", ".html", ".js", ".css", ".json", ".md"}
        ]
    found = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in files
        for word in OUTSIDE
        if word in path.read_text(encoding="utf-8")
    ]
    assert found == []


# -- Usage files: ```csv blocks, priced as POST /api/usage prices them -----------------------

USAGE = re.compile(r"<!--\s*(usage|usage-refused)\s+([\w-]+)\s*(\?\S*)?\s*:(.*?)-->", re.DOTALL)


def usage_examples() -> list[Any]:
    found = []
    for path in DOCS:
        lines = path.read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            if not line.startswith("```csv"):
                continue
            end = lines.index("```", index + 1)
            after = lines[end + 1] if end + 1 < len(lines) else ""
            match = USAGE.fullmatch(after.strip())
            assert match, f"{path.name}:{end + 2}: a ```csv block without a usage annotation"
            kind, name, query, body = match.groups()
            text = "\n".join(lines[index + 1 : end]) + "\n"
            options = dict(part.split("=", 1) for part in (query or "?")[1:].split("&") if part)
            found.append(pytest.param(kind, text, options, body.strip(), id=f"{path.name}:{name}"))
    return found


@pytest.mark.parametrize(("kind", "text", "options", "said"), usage_examples())
def test_each_usage_example_is_what_the_engine_gives(kind, text, options, said):
    from billing.service import price_usage

    if kind == "usage":
        result = json.loads(json.dumps(price_usage(text.encode(), **options)))
        for token in shlex.split(said):
            path, _, expected = token.partition("=")
            assert as_text(resolve(result, path)) == expected, path
    else:
        with pytest.raises(ScenarioError) as refused:
            price_usage(text.encode(), **options)
        messages = [str(p) for p in refused.value.problems]
        for start in (part.strip() for part in said.split("|")):
            assert any(m.startswith(start) for m in messages), (start, messages)


def test_the_docs_have_usage_examples():
    kinds = {p.values[0] for p in usage_examples()}
    assert kinds == {"usage", "usage-refused"}
