"""Values worked out once per questionnaire text: a snapshot's column layout, the breakdown structure.

Questionnaires are immutable (a changed text is a new questionnaire version, with a new
checksum), so whatever is made from one alone is kept for the life of the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..questionnaire.model import Questionnaire

_memo: dict[tuple[str, str], Any] = {}
_memo_guard = threading.Lock()


def memo(questionnaire: Questionnaire, name: str, make: Callable[[Questionnaire], Any]) -> Any:
    """Return make(questionnaire), computed once per questionnaire text (questionnaires are immutable)."""
    key = (questionnaire.checksum or str(id(questionnaire)), name)
    with _memo_guard:
        if key in _memo:
            return _memo[key]
    value = make(questionnaire)
    with _memo_guard:
        return _memo.setdefault(key, value)
