"""Read questionnaire files, validate them (shape, then meaning) and build the model.

Every problem is reported with its file and line, all of them in one pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from . import checks
from .model import (
    STATEMENT_CODES,
    Case,
    Derived,
    Dimension,
    GridItem,
    Option,
    OptionGroup,
    Question,
    Questionnaire,
    Scale,
    Section,
)

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
    return _build(tree, text)


def check_text(text: str, name: str) -> list[Problem]:
    """Return every problem in questionnaire source text (empty when valid)."""
    return _validate(text, name)[1]


def warnings_in_text(text: str, name: str) -> list[Problem]:
    """Return what a valid questionnaire allows but probably does not mean (see checks.warnings)."""
    tree = YAML(typ="rt").load(text)
    return [Problem(name, line_of(tree, path), _where(tree, path) + message) for path, message in checks.warnings(tree)]


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
        return None, [_syntax_problem(error, text, name)]
    if not isinstance(tree, dict):
        return None, [Problem(name, 1, "the file must be a YAML mapping (key: value lines)")]
    hostile = _hostile(tree)
    if hostile:
        return None, [Problem(name, 1, hostile)]
    commas = _split_texts(tree, (), _languages(tree))
    shape = sorted(_validator().iter_errors(tree), key=lambda e: list(map(str, e.absolute_path)))
    problems = [
        Problem(name, line_of(tree, e.absolute_path), _where(tree, e.absolute_path) + _explain(e))
        for e in shape
        if not _inside(e.absolute_path, commas)
    ]
    try:
        meaning = checks.check(tree, promises=promises)
    except (KeyError, TypeError, AttributeError, IndexError):
        if not problems and not commas:
            raise
        meaning = []  # the meaning checks need a sound shape; the shape problems are reported
    problems += [
        Problem(name, line_of(tree, path), _where(tree, path) + message)
        for path, message in meaning
        if not _inside(path, commas)
    ]
    problems += [Problem(name, line, _where(tree, path) + message) for path, (line, message) in commas.items()]
    return tree, sorted(set(problems), key=lambda p: (p.line, p.message))


FLOW_TEXT = "a comma inside {en: …, cy: …} needs the text in quotes"


def _syntax_problem(error: MarkedYAMLError, text: str, name: str) -> Problem:
    """Say what a YAML syntax error most likely is; in a {en: …, cy: …} it is a ': ' or a comma."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    column = f", column {mark.column + 1}" if mark else ""
    if "flow mapping" in str(error.context or "") and mark is not None:
        lines = text.splitlines()
        source = lines[mark.line] if mark.line < len(lines) else ""
        return Problem(
            name,
            line,
            f"YAML syntax error{column}: inside {{en: …, cy: …}} text with a ': ' or a comma needs quotes, "
            f'for example {{en: "Pay: grading, jobs", cy: "…"}} ({_clip(source.strip())})',
        )
    return Problem(name, line, f"YAML syntax error{column}: {error.problem or error.context}")


def _clip(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _languages(tree: dict) -> tuple[str, ...]:
    given = tree.get("languages")
    return tuple(str(code) for code in given) if isinstance(given, list) else ("en", "cy")


def _split_texts(node: Any, path: tuple, languages: tuple[str, ...]) -> dict[tuple, tuple[int, str]]:
    """Find texts that a comma cut in two: in {en: Pay, grading and jobs, cy: …} YAML reads
    "grading and jobs" as a key of its own (with no text). Return {path of the text: (line, message)}."""
    found: dict[tuple, tuple[int, str]] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "metadata" and not path:
                continue  # free notes for the file's authors, never shown to members
            here = (*path, key)
            is_text = key in checks.TEXT_KEYS or path[-1:] == ("labels",)
            if is_text and isinstance(value, dict) and _flow(value):
                stray = [k for k, v in value.items() if _stray(k, v, languages)]
                if stray and any(k in languages for k in value):
                    found[here] = (_line(value, stray[0], node, key), _comma_message(key, value, languages))
                    continue
            found |= _split_texts(value, here, languages)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found |= _split_texts(value, (*path, i), languages)
    return found


def _stray(key: Any, value: Any, languages: tuple[str, ...]) -> bool:
    """A key that is the end of a text cut at a comma: not a language; a language code has text."""
    if key in languages:
        return False
    return not (isinstance(key, str) and LANGUAGE_KEY.match(key)) or value is None


def _flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return bool(fa is not None and fa.flow_style())


def _line(node: Any, key: Any, parent: Any, parent_key: Any) -> int:
    try:
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return line_of(parent, [parent_key])


def _comma_message(key: str, value: dict, languages: tuple[str, ...]) -> str:
    """Rebuild the text as the author meant it, to show where the quotes go."""
    meant: dict[str, str] = {}
    current = None
    for k, v in value.items():
        if not _stray(k, v, languages):
            current = k
            meant[k] = "" if v is None else str(v)
        elif current is not None:
            meant[current] += f", {k}" + ("" if v is None else f": {v}")
    example = ", ".join(f'{lang}: "{text}"' for lang, text in meant.items())
    return f"'{key}': {FLOW_TEXT}: write {key}: {{{_clip(example, 120)}}}"


def _inside(path: Any, prefixes: dict[tuple, Any]) -> bool:
    path = tuple(path)
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


LANGUAGE_KEY = re.compile(r"^[a-z]{2}$")


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


def line_of(tree: Any, path: Any) -> int:
    """Return the 1-based line of the deepest part of a path that exists in a YAML tree."""
    node, line = tree, 1
    for key in path:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and key in node:
            if lc is not None:
                line = lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            if lc is not None:
                line = lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def _where(tree: Any, path: Any) -> str:
    """Describe where in the questionnaire a path points, e.g. "question D1, option 'none': "."""
    parts, node, parent_key = [], tree, None
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int) and isinstance(node, dict):
            label = node.get("id") or node.get("code")
            noun = {"sections": "section", "questions": "question", "derived": "derived variable"}.get(parent_key)
            noun = noun or {"dimensions": "dimension", "items": "item", "cases": "case"}.get(parent_key)
            if noun is None and parent_key in ("options", "values", "points", "off_scale"):
                noun = "group" if "group" in node else "option"
            if noun and label is not None:
                parts.append(f"{noun} {label}")
            elif noun:
                parts.append(f"{noun} {key + 1}")
        elif parent_key == "scales":
            parts.append(f"scale {key}")
        parent_key = key
    return ", ".join(parts) + ": " if parts else ""


TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
}


def _explain(error: jsonschema.ValidationError) -> str:
    """Turn a JSON Schema error into a plain sentence."""
    key = error.absolute_path[-1] if error.absolute_path else None
    name = f"'{key}'" if isinstance(key, str) else "this entry"
    instance, value = error.instance, error.validator_value
    match error.validator:
        case "required":
            missing = [p for p in value if isinstance(instance, dict) and p not in instance]
            return f"missing '{missing[0]}'" if missing else error.message
        case "additionalProperties":
            allowed = error.schema.get("properties", {})
            extra = [k for k in instance if k not in allowed]
            return f"unknown key '{extra[0]}'" + (f"; expected one of {', '.join(allowed)}" if allowed else "")
        case "type":
            wanted = value if isinstance(value, str) else value[0]
            return f"{name} should be {TYPE_WORDS.get(wanted, wanted)}"
        case "enum":
            return f"{name} is {instance!r}; expected one of {', '.join(map(str, value))}"
        case "const":
            return f"{name} must be {value!r}"
        case "pattern" if value == "^[a-z]{2}$":
            return f"{instance!r} is not a language code; if the text has ': ' in it, put the text in quotes"
        case "pattern":
            return f"{instance!r} is not a valid {'code' if 'a-z0-9]' in value[:8] else 'id'}: {_pattern_words(value)}"
        case "minItems":
            return f"{name} needs at least {value} entr{'y' if value == 1 else 'ies'}"
        case "minProperties" | "maxProperties":
            return f"{name} " + (
                "needs at least one entry" if error.validator == "minProperties" else "has too many keys"
            )
        case "minimum":
            return f"{name} must be at least {value}"
        case "maximum":
            return f"{name} must be at most {value}"
        case "uniqueItems":
            return f"{name} lists something twice"
        case "propertyNames":
            return f"{error.message}"
    return error.message


def _pattern_words(pattern: str) -> str:
    if pattern.startswith("^[a-z0-9][a-z0-9_]"):
        return "use lower-case letters, digits and _"
    if pattern.startswith("^[a-z0-9][a-z0-9-]"):
        return "use lower-case letters, digits and -"
    return "start with a letter, then letters, digits or _"


def _text(node: Any) -> dict[str, str] | None:
    return {str(k): str(v) for k, v in node.items()} if node is not None else None


def _plain(node: Any) -> Any:
    """Turn ruamel's round-trip containers into plain dicts and lists (for rules)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _option(node: dict, group: OptionGroup | None = None) -> Option:
    return Option(
        code=str(node["code"]),
        label=_text(node["label"]) or {},
        exclusive=bool(node.get("exclusive", False)),
        other=bool(node.get("other", False)),
        show_if=_plain(node.get("show_if")),
        alt_labels=tuple((_plain(a["when"]), _text(a["label"]) or {}) for a in node.get("alt_labels", [])),
        group=group,
    )


def _options(entries: list) -> tuple[Option, ...]:
    options: list[Option] = []
    for entry in entries:
        if "group" in entry:
            group = OptionGroup(label=_text(entry["group"]) or {}, show_if=_plain(entry.get("show_if")))
            options += [_option(o, group) for o in entry["options"]]
        else:
            options.append(_option(entry))
    return tuple(options)


def _scale(name: str, node: dict) -> Scale:
    return Scale(
        id=name,
        points=tuple(_option(p) for p in node["points"]),
        off_scale=tuple(_option(o) for o in node.get("off_scale", [])),
        positive=frozenset(str(c) for c in node.get("positive", [])),
        negative=frozenset(str(c) for c in node.get("negative", [])),
    )


# What members answer to each draft statement unless the file says otherwise ("labels").
STATEMENT_LABELS: dict[str, dict[str, str]] = {
    "support": {"en": "Support", "cy": "Cefnogi"},
    "oppose": {"en": "Oppose", "cy": "Gwrthwynebu"},
    "unsure": {"en": "Not sure", "cy": "Ddim yn siŵr"},
}


def _statements_scale(question_id: str, node: dict, languages: list) -> Scale:
    """Return the Support / Oppose / Not sure scale of a statements question, with its labels."""
    given = node.get("labels") or {}
    labels = {
        code: _text(given[code]) if code in given else {lang: STATEMENT_LABELS[code][lang] for lang in languages}
        for code in STATEMENT_CODES
    }
    support, oppose, unsure = (Option(code, labels[code] or {}) for code in STATEMENT_CODES)
    return Scale(
        id=f"statements:{question_id}",
        points=(support, oppose),
        off_scale=(unsure,),
        positive=frozenset({"support"}),
        negative=frozenset({"oppose"}),
    )


def _question_scale(q: dict, scales: dict[str, Scale], languages: list) -> Scale | None:
    if q["type"] == "statements":
        return _statements_scale(str(q["id"]), q, languages)
    return scales.get(q["scale"]) if "scale" in q else None


def _build(tree: dict, text: str) -> Questionnaire:
    scales = {str(name): _scale(str(name), node) for name, node in (tree.get("scales") or {}).items()}
    sections, position = [], 0
    for s in tree["sections"]:
        questions = []
        for q in s["questions"]:
            position += 1
            questions.append(
                Question(
                    id=str(q["id"]),
                    type=str(q["type"]),
                    text=_text(q["text"]) or {},
                    section_id=str(s["id"]),
                    position=position,
                    hint=_text(q.get("hint")),
                    error=_text(q.get("error")),
                    required=bool(q.get("required", False)),
                    show_if=_plain(q.get("show_if")),
                    options=_options(q.get("options") or []),
                    max_choices=q.get("max_choices"),
                    choose=q.get("choose"),
                    rank=q.get("rank"),
                    scale=_question_scale(q, scales, list(tree["languages"])),
                    off_scale=tuple(q["off_scale"]) if "off_scale" in q else None,
                    items=tuple(
                        GridItem(
                            str(i["code"]), _text(i["text"]) or {}, _plain(i.get("show_if")), _text(i.get("short"))
                        )
                        for i in q.get("items", [])
                    ),
                    min=q.get("min"),
                    max=q.get("max"),
                    unit=_text(q.get("unit")),
                    max_length=q.get("max_length"),
                    other_max_length=q.get("other_max_length", 200),
                )
            )
        sections.append(
            Section(
                id=str(s["id"]),
                title=_text(s["title"]) or {},
                questions=tuple(questions),
                intro=_text(s.get("intro")),
                show_if=_plain(s.get("show_if")),
            )
        )
    derived = tuple(
        Derived(
            id=str(d["id"]),
            label=_text(d["label"]) or {},
            values=tuple(_option(v) for v in d["values"]),
            source=d.get("from"),
            mapping={str(k): str(v) for k, v in d["map"].items()} if "map" in d else None,
            cases=tuple(Case(_plain(c["when"]), str(c["value"])) for c in d.get("cases", [])),
        )
        for d in tree.get("derived") or []
    )
    by_derived = {d.id: d for d in derived}
    by_question = {q.id: q for s in sections for q in s.questions}
    dimensions = []
    for node in tree.get("dimensions") or []:
        ref = str(node["id"])
        if ref in by_derived:
            label, values = by_derived[ref].label, by_derived[ref].values
        else:
            question = by_question[ref]
            label, values = question.text, question.choices
        label = _text(node["label"]) if node.get("label") else label  # a short name: "Region", not the question
        dimensions.append(Dimension(ref, label, values, bool(node.get("protected", False))))
    return Questionnaire(
        id=str(tree["id"]),
        version=int(tree["version"]),
        languages=tuple(tree["languages"]),
        title=_text(tree["title"]) or {},
        description=_text(tree["description"]) or {},
        estimated_minutes=int(tree["estimated_minutes"]),
        sections=tuple(sections),
        scales=scales,
        derived=derived,
        dimensions=tuple(dimensions),
        metadata=_plain(tree.get("metadata") or {}),
        audience={str(k): str(v) for k, v in (tree.get("audience") or {}).items()},
        source=text,
        checksum=hashlib.sha256(text.encode()).hexdigest(),
    )
