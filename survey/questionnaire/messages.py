"""Say where in a questionnaire file a problem is, and what it is, in plain words.

The loader reports every problem as "file:line: place: message". This module finds the line of a
path in the YAML tree (line_of), names the place ("question D1, option 'none': ", where), and
turns JSON Schema and YAML syntax errors into sentences (explain, syntax_error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import jsonschema
from ruamel.yaml.error import MarkedYAMLError

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
}


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


def where(tree: Any, path: Any) -> str:
    """Describe where in the questionnaire a path points, e.g. "question D1, option 'none': "."""
    parts: list[str] = []
    node = tree
    parent_key: Any = None  # the key before: a str or an int
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


def explain(error: jsonschema.ValidationError) -> str:
    """Turn a JSON Schema error into a plain sentence."""
    key = error.absolute_path[-1] if error.absolute_path else None
    name = f"'{key}'" if isinstance(key, str) else "this entry"
    instance: Any = error.instance
    value: Any = error.validator_value
    match error.validator:
        case "required":
            missing = [p for p in value if isinstance(instance, dict) and p not in instance]
            return f"missing '{missing[0]}'" if missing else error.message
        case "additionalProperties":
            allowed = cast(Mapping[str, Any], error.schema).get("properties", {})
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


def syntax_error(error: MarkedYAMLError, text: str) -> tuple[int, str]:
    """Say what a YAML syntax error most likely is, as (line, message); in a {en: …, cy: …} it is
    a ': ' or a comma."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else 1
    column = f", column {mark.column + 1}" if mark else ""
    if "flow mapping" in str(error.context or "") and mark is not None:
        lines = text.splitlines()
        source = lines[mark.line] if mark.line < len(lines) else ""
        return (
            line,
            f"YAML syntax error{column}: inside {{en: …, cy: …}} text with a ': ' or a comma needs quotes, "
            f'for example {{en: "Pay: grading, jobs", cy: "…"}} ({clip(source.strip())})',
        )
    return line, f"YAML syntax error{column}: {error.problem or error.context}"


def clip(text: str, most: int = 80) -> str:
    """Shorten a quoted piece of the file to at most `most` characters."""
    return text if len(text) <= most else text[: most - 1] + "…"
