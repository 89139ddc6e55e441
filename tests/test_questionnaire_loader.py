"""Loading and validating questionnaire files: every problem, with file and line, in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.questionnaire.loader import QuestionnaireError, check_file, load_directory, load_file, questionnaire_files

from .helpers import FIXTURES, ROOT

SHIPPED = questionnaire_files(ROOT / "questionnaires")
TINY = (FIXTURES / "tiny.yaml").read_text()


def broken(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    """Write a variant of the tiny questionnaire and return its path."""
    path = tmp_path / name
    path.write_text(text)
    return path


def line_containing(text: str, fragment: str) -> int:
    """Return the 1-based line number of the first line containing a fragment."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_shipped_questionnaires_exist():
    assert {p.stem for p in SHIPPED} >= {"ai-at-work", "conference-pulse"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_questionnaire_is_valid(path: Path):
    assert check_file(path) == []
    questionnaire = load_file(path)
    assert questionnaire.languages == ("en", "cy")


def test_tiny_fixture_loads_with_every_feature():
    q = load_file(FIXTURES / "tiny.yaml")
    assert [s.id for s in q.sections] == ["work", "sector", "views", "about"]
    assert {question.type for question in q.questions} == {
        "single",
        "multi",
        "scale",
        "grid",
        "number",
        "text",
        "long_text",
    }
    sector = q.question("sector")
    assert [o.code for o in sector.options] == ["acute", "ambulance", "probation", "cafcass", "other"]
    assert sector.options[0].group is not None and sector.options[-1].other
    assert q.question("monitoring").max_choices == 2
    assert q.question("confidence").codes == ("1", "2", "3", "4", "5", "dk")
    assert q.question("trust").answer_keys() == ("trust.a", "trust.b")
    assert q.scales["agree5"].positive == {"4", "5"}
    assert [(d.id, d.protected) for d in q.dimensions][-2:] == [("young", True), ("ethnicity", True)]
    assert len(q.checksum) == 64


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    text = TINY.replace("estimated_minutes: 2", "estimated_minutes: [2")
    path = broken(tmp_path, text)
    (problem,) = check_file(path)
    assert problem.file == str(path)
    assert "YAML syntax error" in problem.message and "column" in problem.message
    assert problem.line >= line_containing(text, "estimated_minutes")


def test_every_meaning_error_is_reported_in_one_run(tmp_path):
    text = (
        TINY.replace("cy: Ym mha grŵp gwasanaeth ydych chi?", 'cy: ""')
        .replace("{code: email, label", "{code: cctv, label")
        .replace('show_if: {equals: [uses_ai, "yes"]}', 'show_if: {equals: [no_such_question, "yes"]}')
    )
    path = broken(tmp_path, text)
    problems = check_file(path)
    messages = [str(p) for p in problems]
    assert len(problems) == 3, messages
    expected = {
        "'text' has no Welsh (cy) text": line_containing(text, "text: {en: Which service group"),
        "duplicate option code 'cctv'": line_containing(text, "{code: cctv, label: {en: Email"),
        "unknown question or variable 'no_such_question'": line_containing(text, "no_such_question"),
    }
    for fragment, line in expected.items():
        (match,) = [p for p in problems if fragment in p.message]
        assert match.line == line, str(match)
        assert str(match).startswith(f"{path}:{line}: ")


def test_missing_welsh_key_is_reported(tmp_path):
    text = TINY.replace(
        "{code: keystrokes, label: {en: Keystrokes, cy: Trawiadau bysell}}",
        "{code: keystrokes, label: {en: Keystrokes}}",
    )
    (problem,) = check_file(broken(tmp_path, text))
    assert "option keystrokes: 'label' has no Welsh (cy) text" in problem.message
    assert problem.line == line_containing(text, "code: keystrokes")


def test_forward_reference_is_rejected(tmp_path):
    text = TINY.replace("show_if: {answered: group}", "show_if: {answered: age}")
    (problem,) = check_file(broken(tmp_path, text))
    assert "refers forward to 'age'" in problem.message
    assert problem.line == line_containing(text, "show_if: {answered: age}")


def test_rule_value_must_be_a_code_of_the_question(tmp_path):
    text = TINY.replace("show_if: {in: [group, [health, dk]]}", "show_if: {in: [group, [helth, dk]]}")
    (problem,) = check_file(broken(tmp_path, text))
    assert "'helth' is not a code of 'group'" in problem.message


def test_option_lists_must_depend_on_an_earlier_page(tmp_path):
    text = TINY.replace("show_if: {is: wales}", "show_if: {equals: [sector, acute]}", 1)
    (problem,) = check_file(broken(tmp_path, text))
    assert "only depend on earlier pages" in problem.message


def test_unknown_rule_operator_and_unknown_key_are_plain(tmp_path):
    text = TINY.replace("show_if: {answered: group}", "show_if: {answerd: group}").replace(
        "max_choices: 2", "max_choices: 2\n        colour: red"
    )
    messages = [p.message for p in check_file(broken(tmp_path, text))]
    assert any("unknown rule operator 'answerd'" in m for m in messages), messages
    assert any("unknown key 'colour'" in m for m in messages), messages


def test_type_specific_problems(tmp_path):
    text = (
        TINY.replace("max_choices: 2", "max_choices: 9")
        .replace("min: 0\n", "min: 60\n")
        .replace("scale: agree5\n        off_scale: [dk]", "scale: agree6\n        off_scale: [dk]")
        .replace("{code: dk, label: {en: Not sure", "{code: dk, exclusive: true, label: {en: Not sure")
    )
    messages = [p.message for p in check_file(broken(tmp_path, text))]
    assert any("max_choices (9) is more than the 5 options" in m for m in messages), messages
    assert any("min (60) is above max (50)" in m for m in messages), messages
    assert any("unknown scale 'agree6'" in m for m in messages), messages
    assert any("'exclusive' is only for multi questions" in m for m in messages), messages


def test_derived_values_and_dimensions_are_checked(tmp_path):
    text = TINY.replace(
        "map: {eastern: england, cymru_wales: wales}", "map: {eastern: england, cymru_wales: cymru}"
    ).replace("  - {id: sector}\n", "  - {id: monitoring}\n")
    messages = [p.message for p in check_file(broken(tmp_path, text))]
    assert any("'cymru' is not one of the values of 'nation'" in m for m in messages), messages
    assert any("dimension 'monitoring' must be a single-choice question" in m for m in messages), messages


def test_shape_errors_are_plain_sentences(tmp_path):
    text = TINY.replace("format: 1", "format: 2").replace("estimated_minutes: 2", "estimated_minutes: two")
    messages = [p.message for p in check_file(broken(tmp_path, text))]
    assert "'format' must be 1" in messages
    assert "'estimated_minutes' should be a whole number" in messages


def test_not_a_mapping_and_not_utf8(tmp_path):
    assert "must be a YAML mapping" in check_file(broken(tmp_path, "- a\n- b\n"))[0].message
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in check_file(path)[0].message


def test_load_directory_collects_problems_from_every_file(tmp_path):
    broken(tmp_path, TINY.replace("format: 1", "format: 3"), "a.yaml")
    broken(tmp_path, TINY.replace("cy: Eich gwaith}", "cy: ''}"), "b.yaml")
    with pytest.raises(QuestionnaireError) as caught:
        load_directory(tmp_path)
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {"a.yaml", "b.yaml"}


def test_two_files_with_one_id_are_rejected(tmp_path):
    broken(tmp_path, TINY, "a.yaml")
    broken(tmp_path, TINY, "b.yaml")
    with pytest.raises(QuestionnaireError, match="id 'tiny' is already used"):
        load_directory(tmp_path)


def test_audience_must_name_single_choice_questions(tmp_path):
    text = TINY + "audience:\n  service_group: group\n  sector: monitoring\n  region: nowhere\n"
    problems = check_file(broken(tmp_path, text))
    found = {(p.line, p.message) for p in problems}
    assert (
        line_containing(text, "sector: monitoring"),
        "audience 'sector' must name a single-choice question, not 'monitoring'",
    ) in found
    assert any("'nowhere'" in message for _, message in found) and len(problems) == 2


def test_a_sector_survey_fixes_the_audiences_answers(tmp_path):
    text = TINY + "audience:\n  service_group: group\n  region: region\n"
    questionnaire = load_file(broken(tmp_path, text))
    member = questionnaire.for_audience({"service_group": "health", "region": None})
    assert member.fixed == {"group": "health"}
    assert "group" not in {q.id for q in member.questions} and "region" in {q.id for q in member.questions}
    assert questionnaire.for_audience({}) is questionnaire


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            "anchors and aliases",
        ),
        ("deep: " + "[" * 40 + "]" * 40 + "\n", "nests deeper than 24 levels"),
        ("many: [" + ", ".join(["1"] * 100_001) + "]\n", "more than 100,000 values"),
    ],
    ids=["billion-laughs", "deep", "huge"],
)
def test_hostile_files_are_refused_quickly_with_a_plain_message(tmp_path, text, message):
    (problem,) = check_file(broken(tmp_path, text))
    assert message in problem.message and problem.line == 1


def test_python_tags_are_never_run(tmp_path):
    text = TINY.replace("format: 1", "format: !!python/object/apply:os.system ['touch /tmp/pwned-by-yaml']")
    problems = check_file(broken(tmp_path, text))
    assert problems and not Path("/tmp/pwned-by-yaml").exists()


def test_too_many_questions_are_refused(tmp_path):
    question = "      - {id: Q%d, type: text, max_length: 10, text: {en: Q, cy: Q}}\n"
    many = "".join(question % i for i in range(501))
    text = TINY.replace(
        "sections:\n", "sections:\n  - id: extra\n    title: {en: E, cy: E}\n    questions:\n" + many, 1
    )
    assert any("the most a questionnaire may have is 500" in p.message for p in check_file(broken(tmp_path, text)))


# --- consultation questions: statements and priorities -----------------------------------------

CONSULTATION = (ROOT / "questionnaires" / "consultation.yaml").read_text()


def consultation_problems(tmp_path: Path, *changes: tuple[str, str]) -> tuple[str, list[tuple[int, str]]]:
    """Return a variant of the shipped consultation and its problems as (line, message)."""
    text = CONSULTATION
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text, [(p.line, p.message) for p in check_file(broken(tmp_path, text, "consultation.yaml"))]


@pytest.mark.parametrize(
    "changes", [[("        rank: 3\n", "        rank: 3\n        choose: 2\n")], [("        rank: 3\n", "")]]
)
def test_priorities_need_exactly_one_of_choose_or_rank(tmp_path, changes):
    text, problems = consultation_problems(tmp_path, *changes)
    assert problems == [
        (
            line_containing(text, "- id: D2"),
            "section priorities, question D2: priorities questions need exactly one of 'choose' (pick N) "
            "or 'rank' (rank the top N)",
        )
    ]


def test_priorities_need_more_options_than_they_ask_for(tmp_path):
    text, problems = consultation_problems(tmp_path, ("        rank: 3\n", "        rank: 6\n"))
    assert problems == [
        (
            line_containing(text, "rank: 6"),
            "section priorities, question D2: rank (6) must be less than the number of options (6); "
            "give more options, or ask a multi question",
        )
    ]
    _, problems = consultation_problems(tmp_path, ("        rank: 3\n", "        rank: 1\n"))
    assert problems == [(line_containing(text, "rank:"), "section priorities, question D2: 'rank' must be at least 2")]


def test_priorities_refuse_exclusive_other_and_conditional_options(tmp_path):
    text, problems = consultation_problems(
        tmp_path,
        ("            label: {en: No job losses", "            exclusive: true\n            label: {en: No job losses"),
        ("            label: {en: Staff data kept", "            other: true\n            label: {en: Staff data kept"),
        (
            "            label: {en: Savings shared",
            "            show_if: {equals: [C3, planned]}\n            label: {en: Savings shared",
        ),
    )
    assert problems == [
        (
            line_containing(text, "exclusive: true"),
            "section priorities, question D2, option jobs: priorities questions cannot have exclusive options",
        ),
        (
            line_containing(text, "other: true"),
            "section priorities, question D2, option data: priorities questions cannot have an 'other' write-in option",
        ),
        (
            line_containing(text, "show_if: {equals: [C3, planned]}"),
            "section priorities, question D2, option gains: the options of a priorities question cannot have show_if",
        ),
    ]


def test_statement_labels_must_be_known_and_translated(tmp_path):
    text, problems = consultation_problems(
        tmp_path,
        (
            "        type: statements\n",
            "        type: statements\n        labels:\n          agree: {en: Agree, cy: Cytuno}\n"
            "          unsure: {en: Undecided}\n",
        ),
    )
    assert problems == [
        (
            line_containing(text, "labels:"),
            "section demands, question D1: unknown key 'agree'; expected one of support, oppose, unsure",
        ),
        (
            line_containing(text, "unsure: {en: Undecided}"),
            "section demands, question D1: 'unsure' has no Welsh (cy) text",
        ),
    ]


def test_statements_need_items_and_no_scale(tmp_path):
    text, problems = consultation_problems(
        tmp_path,
        ("        type: statements\n", "        type: statements\n        scale: agree5\n"),
        ("        items:\n          - code: consult", "        itemz:\n          - code: consult"),
    )
    messages = [message for _, message in problems]
    assert "section demands, question D1: statements questions need 'items'" in messages
    assert (
        line_containing(text, "scale: agree5"),
        "section demands, question D1: 'scale' is not used by statements questions",
    ) in problems


def test_rules_on_statements_use_their_codes_and_neither_type_is_a_breakdown(tmp_path):
    text, problems = consultation_problems(
        tmp_path,
        ("{equals: [D1.jobs, oppose]}", "{equals: [D1.jobs, against]}"),
        ("  - {id: C3}\n", "  - {id: C3}\n  - {id: D1}\n  - {id: D2}\n"),
    )
    follow_up = line_containing(text, "- id: D1_why")
    show_if = next(i for i, line in enumerate(text.splitlines(), 1) if i > follow_up and "show_if:" in line)
    assert set(problems) == {
        (show_if, "section demands, question D1_why: 'against' is not a code of 'D1.jobs'"),
        (
            line_containing(text, "- {id: D1}"),
            "dimension D1: dimension 'D1' must be a single-choice question or derived variable",
        ),
        (
            line_containing(text, "- {id: D2}"),
            "dimension D2: dimension 'D2' must be a single-choice question or derived variable",
        ),
    }
