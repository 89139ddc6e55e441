"""How long a questionnaire takes a member, worked out from what it asks. Pure Python.

The model, stated so that anyone can check the start page's "It takes about N minutes":

- **Reading.** Every word a member is shown is read at READING_WPM words a minute: page titles
  and introductions, question texts and hints, option labels, the rows of grids and statements,
  and a grid's scale once per grid (it is the same under every row). Adults read non-fiction
  silently at about 240 words a minute (Brysbaert, 2019); 200 allows for a phone screen, for
  reading with care, and for members who read English or Welsh as a second language.
- **Answering.** Each answer takes ANSWER_SECONDS by question type (for a grid or statements
  question, per row; for a ranking, per place), on top of reading.
- **Pages.** Each page costs PAGE_SECONDS to load and to press Continue.
- **Who.** The questionnaire is taken as the member's audience sees it (a sector survey drops the
  questions its audience answers, Questionnaire.for_audience), for a member who is shown every
  page and follow-up, so the estimate errs long rather than short. Where option lists depend on
  an earlier answer (a sector list offered for each service group), the longest of those lists
  counts, not all of them: a member sees one.
- The total is rounded to the nearest minute, and is at least one.

The questionnaire file's own `estimated_minutes` is what pages without an audience show (the home
page, the poster); a test checks it against this model for everyone (tests/test_member_polish.py).
"""

from __future__ import annotations

import json
import re

from .model import ITEM_TYPES, Option, Question, Questionnaire

READING_WPM = 200
PAGE_SECONDS = 3
ANSWER_SECONDS = {
    "single": 4,
    "scale": 4,
    "multi": 7,
    "grid": 3,  # per row
    "statements": 4,  # per statement
    "priorities": 5,  # per place ranked, or per option picked
    "number": 6,
    "text": 15,
    "long_text": 20,  # most members leave an optional box empty or write a line
}
WORD = re.compile(r"\w+(?:['’]\w+)*")


def words(text: str | None) -> int:
    """Return the number of words in a text ("don't" and "AI-made" count as one and two)."""
    return len(WORD.findall(text or ""))


def _options_words(options: tuple[Option, ...], language: str) -> int:
    """Return the words of the options a member sees: every option offered to all, plus the
    longest of the lists offered by a rule (one group per service group, say)."""
    always = 0
    by_rule: dict[str, int] = {}
    for option in options:
        rule = option.show_if or (option.group.show_if if option.group else None)
        text = words(option.label[language])
        if rule is None:
            always += text
        else:
            key = json.dumps(rule, sort_keys=True)
            by_rule[key] = by_rule.get(key, 0) + text
    group_words = {o.group.label[language] for o in options if o.group}
    return always + max(by_rule.values(), default=0) + sum(words(g) for g in group_words)


def question_seconds(question: Question, language: str) -> float:
    """Return the seconds a member spends reading and answering one question."""
    shown = words(question.text[language]) + words(question.hint[language] if question.hint else None)
    shown += _options_words(question.choices, language)
    shown += sum(words(item.text[language]) for item in question.items)
    answers = len(question.items) if question.type in ITEM_TYPES else (question.rank or question.choose or 1)
    return shown * 60 / READING_WPM + answers * ANSWER_SECONDS[question.type]


def seconds(questionnaire: Questionnaire, language: str = "en") -> float:
    """Return the seconds the model gives a member to read and answer every page."""
    total = 0.0
    for section in questionnaire.sections:
        total += PAGE_SECONDS
        heading = words(section.title[language]) + words(section.intro[language] if section.intro else None)
        total += heading * 60 / READING_WPM
        total += sum(question_seconds(q, language) for q in section.questions)
    return total


def minutes(questionnaire: Questionnaire, language: str = "en") -> int:
    """Return the whole minutes to promise on the start page: the model's total, rounded."""
    return max(1, round(seconds(questionnaire, language) / 60))
