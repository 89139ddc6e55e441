"""Find texts that a comma cut in two inside {en: …, cy: …}.

In {en: Pay, grading and jobs, cy: …} YAML reads "grading and jobs" as a key of its own (with no
text). The loader reports each such text once, with where the quotes go, instead of the schema
and meaning problems that follow from it.
"""

from __future__ import annotations

import re
from typing import Any

from .checks import TEXT_KEYS
from .messages import clip, line_of

FLOW_TEXT = "a comma inside {en: …, cy: …} needs the text in quotes"
LANGUAGE_KEY = re.compile(r"^[a-z]{2}$")


def split_texts(tree: dict) -> dict[tuple, tuple[int, str]]:
    """Return {path of each text a comma cut in two: (line, message)}."""
    return _split_texts(tree, (), _languages(tree))


def inside(path: Any, prefixes: dict[tuple, Any]) -> bool:
    """Whether a path lies inside (or at) one of the given paths."""
    path = tuple(path)
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


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
            is_text = key in TEXT_KEYS or path[-1:] == ("labels",)
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
        return int(node.lc.key(key)[0]) + 1
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
    return f"'{key}': {FLOW_TEXT}: write {key}: {{{clip(example, 120)}}}"
