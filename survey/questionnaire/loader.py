"""Read questionnaire files, validate them (shape, then meaning) and build the model.

Every problem is reported with its file and line, all of them in one pass. The shape is checked
against schema.json, the meaning by checks.py; messages.py words each problem and finds its line,
split_texts.py catches texts a comma cut in two, and build.py makes the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from . import checks
from .build import build
from .messages import explain, line_of, syntax_error, where
from .model import Questionnaire
from .split_texts import inside, split_texts

SCHEMA_PATH = Path(__file__).with_name("schema.json")
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 24  # a real questionnaire nests about 10 deep
MAX_NODES = 100_000  # a real questionnaire has a few thousand values
MAX_QUESTIONS = 500


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file, at a line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class QuestionnaireError(ValueError):
    """A questionnaire file (or several) could not be loaded; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def load_text(text: str, name: str, *, pinned: bool = False) -> Questionnaire:
    """Validate questionnaire source text and return the model, or raise QuestionnaireError.

    pinned=True reads a version already pinned to a survey: the rules added since it was pinned
    to keep the start page's promises are not applied again (checks.check), so its survey opens.
    """
    tree, problems = _validate(text, name, promises=not pinned)
    if problems:
        raise QuestionnaireError(problems)
    return build(tree, text)


def check_text(text: str, name: str) -> list[Problem]:
    """Return every problem in questionnaire source text (empty when valid)."""
    return _validate(text, name)[1]


def warnings_in_text(text: str, name: str) -> list[Problem]:
    """Return what a valid questionnaire allows but probably does not mean (see checks.warnings)."""
    tree = YAML(typ="rt").load(text)
    return [Problem(name, line_of(tree, path), where(tree, path) + message) for path, message in checks.warnings(tree)]


def warnings_in_file(path: Path | str) -> list[Problem]:
    """Return the warnings for one valid questionnaire file."""
    path = Path(path)
    return warnings_in_text(_read(path), str(path))


def load_file(path: Path | str) -> Questionnaire:
    """Load and validate one questionnaire file."""
    path = Path(path)
    return load_text(_read(path), str(path))


def check_file(path: Path | str) -> list[Problem]:
    """Return every problem in one questionnaire file."""
    path = Path(path)
    try:
        text = _read(path)
    except QuestionnaireError as error:
        return error.problems
    return check_text(text, str(path))


def questionnaire_files(directory: Path | str) -> list[Path]:
    """Return the questionnaire files in a folder, sorted."""
    directory = Path(directory)
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_directory(directory: Path | str) -> dict[str, Questionnaire]:
    """Load every questionnaire in a folder by id, or raise with every problem in every file."""
    loaded: dict[str, Questionnaire] = {}
    problems: list[Problem] = []
    for path in questionnaire_files(directory):
        try:
            questionnaire = load_file(path)
        except QuestionnaireError as error:
            problems += error.problems
            continue
        if questionnaire.id in loaded:
            other = loaded[questionnaire.id].source
            problems.append(Problem(str(path), 1, f"id '{questionnaire.id}' is already used by {other}"))
        loaded[questionnaire.id] = questionnaire
    if problems:
        raise QuestionnaireError(problems)
    return loaded


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise QuestionnaireError([Problem(str(path), 1, f"file is larger than {MAX_FILE_BYTES} bytes")])
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return _raise(path, f"file is not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:
        return _raise(path, f"cannot read file: {error.strerror}", line=0)


def _raise(path: Path, message: str, line: int = 1) -> str:
    raise QuestionnaireError([Problem(str(path), line, message)])


def _validate(text: str, name: str, promises: bool = True) -> tuple[Any, list[Problem]]:
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        return None, [Problem(name, *syntax_error(error, text))]
    if not isinstance(tree, dict):
        return None, [Problem(name, 1, "the file must be a YAML mapping (key: value lines)")]
    hostile = _hostile(tree)
    if hostile:
        return None, [Problem(name, 1, hostile)]
    commas = split_texts(tree)
    shape = sorted(_validator().iter_errors(tree), key=lambda e: list(map(str, e.absolute_path)))
    problems = [
        Problem(name, line_of(tree, e.absolute_path), where(tree, e.absolute_path) + explain(e))
        for e in shape
        if not inside(e.absolute_path, commas)
    ]
    try:
        meaning = checks.check(tree, promises=promises)
    except (KeyError, TypeError, AttributeError, IndexError):
        if not problems and not commas:
            raise
        meaning = []  # the meaning checks need a sound shape; the shape problems are reported
    problems += [
        Problem(name, line_of(tree, path), where(tree, path) + message)
        for path, message in meaning
        if not inside(path, commas)
    ]
    problems += [Problem(name, line, where(tree, path) + message) for path, (line, message) in commas.items()]
    return tree, sorted(set(problems), key=lambda p: (p.line, p.message))


def _hostile(tree: Any) -> str | None:
    """Refuse shapes no questionnaire needs and that could exhaust the server: aliases (which can
    expand exponentially), very deep nesting, huge numbers of values, too many questions."""
    seen: set[int] = set()
    stack = [(tree, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list):
            continue
        if id(node) in seen:
            return "YAML anchors and aliases (& and *) are not allowed in questionnaires"
        seen.add(id(node))
        nodes += len(node)
        if depth > MAX_DEPTH:
            return f"the file nests deeper than {MAX_DEPTH} levels"
        if nodes > MAX_NODES:
            return f"the file has more than {MAX_NODES:,} values"
        stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    questions = sum(len(s.get("questions") or []) for s in tree.get("sections") or [] if isinstance(s, dict))
    if questions > MAX_QUESTIONS:
        return f"the file has {questions} questions; the most a questionnaire may have is {MAX_QUESTIONS}"
    return None
