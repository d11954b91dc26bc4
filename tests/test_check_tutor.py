"""`tui-lab check` on what the tutor relies on: slips that can be told from the answer, no
answer shown before it is typed, no text eaten on its way to the screen, slips translated."""

import pytest

from conftest import run_cli
from engines.core import registry
from lessons.check import check_lesson
from lessons.loader import load_lesson
from lessons.translation import translate
from test_loader import write_lesson

LESSON = """\
id = "tutor"
title = "Tutor [draft]"
values = "gd.values"

[[steps]]
title = "Read"
kind = "read"
text = "read.md"

[[steps]]
title = "One step"
kind = "compute"
text = "step.md"
answer = "theta1"
tolerance = 1e-6
hints = ["θ₁ = {{ theta0:g }} − {{ lr }} · ({{ grad0:g }}) = {{ theta1 }}."]
slips = [
  { id = "sign", value = "theta1_slip_sign", message = "{{ theta1_slip_sign:g }} has the sign flipped." },
  { id = "half", value = "theta1_slip_half", message = "Twice the step: the ½ went missing." },
]

[[steps]]
title = "Find the error"
kind = "find-error"
text = "read.md"
lines = ["θ₁ = {{ theta1 }}", "θ₂ = [wrong]"]
wrong = [2]
"""
FILES = {
    "read.md": "Points x = {{ x:g }}, y = {{ y:g }}; α = {{ lr }}. See [the notes](https://example.org).",
    "step.md": "Where does θ land? `[/i]` and [bold]this[/bold] show as typed.\n<!-- after -->\nθ₁ = {{ theta1 }}.",
}


def cases(tmp_path, toml: str = LESSON, **files: str) -> dict[str, str | None]:
    """Each check case of the lesson: name -> None when it passes, else its message."""
    folder = write_lesson(tmp_path, "tutor", toml, {**FILES, **files})
    return {c.name: None if c.ok else c.message for c in check_lesson(load_lesson(folder), smoke=False)}


def test_a_lesson_with_slips_and_no_giveaways_passes_every_case(tmp_path):
    result = cases(tmp_path)
    assert {"step 2 slips: numbers other than the answer", "step 2 answer: not shown before it is typed",
            "text: shown as typed"} <= set(result)
    assert [name for name, message in result.items() if message] == []


@pytest.mark.parametrize("value, words", [
    ("theta1", "slip 'half': theta1 = 2.8000000000000003 is within the tolerance of the answer "
                "theta1 = 2.8000000000000003"),
    ("snippet_gradient_shape", "slip 'half': snippet_gradient_shape is '(3,)', not a finite number"),
    ("nope", "slip 'half': the engine computes no value 'nope'"),
    ("theta1_slip_sign", "slip 'half' has the value of slip 'sign' (-2.8000000000000003): it is never told"),
])
def test_a_slip_the_answer_or_another_slip_would_hide_fails(tmp_path, value, words):
    result = cases(tmp_path, LESSON.replace('value = "theta1_slip_half"', f'value = "{value}"'))
    assert result["step 2 slips: numbers other than the answer"] == words


@pytest.mark.parametrize("edit, files, where", [
    ((), {"read.md": "Soon θ₁ = {{ theta1:.3f }}."}, "step 1 text shows {{ theta1:.3f }} = 2.800"),
    ((), {"step.md": "Where does θ land? Not at {{ theta1:.1f }}…"}, "step 2 text shows {{ theta1:.1f }} = 2.8"),
    (("Twice the step: the ½ went missing.", "Not {{ theta1 }}."), {}, "step 2 slip 'half' shows {{ theta1 }} = 2.8"),
    (('text = "read.md"\n\n[[steps]]\ntitle = "One step"',
      'text = "read.md"\nhints = ["{{ sum_xy:g }}/10"]\n\n[[steps]]\ntitle = "One step"'), {}, None),
])
def test_an_answer_shown_before_it_is_typed_fails_naming_where(tmp_path, edit, files, where):
    toml = LESSON.replace(*edit) if edit else LESSON
    message = cases(tmp_path, toml, **files)["step 2 answer: not shown before it is typed"]
    assert message == where  # 28/10 in a hint is arithmetic to do, not the answer shown


def test_an_input_that_equals_the_answer_by_coincidence_passes_once_declared(tmp_path):
    toml = LESSON.replace('answer = "theta1"', 'answer = "theta_star"').replace("theta1_slip", "grad0_slip")
    shown = cases(tmp_path / "1", toml)["step 2 answer: not shown before it is typed"]
    assert shown == "step 1 text shows {{ x:g }} = [1, 2, 3]; step 1 text shows {{ y:g }} = [2, 4, 6]"  # 2 = θ*
    declared = toml.replace('answer = "theta_star"', 'answer = "theta_star"\nshown_ok = ["x", "y"]')
    assert cases(tmp_path / "2", declared)["step 2 answer: not shown before it is typed"] is None


@pytest.mark.parametrize("edit, files, words", [
    ((), {"read.md": "Two lines<br>in one."}, "read.md: raw HTML '<br>' is not shown"),
    ((), {"read.md": "Notes:\n\n[notes]: https://example.org\n"}, "read.md: '[notes]' is not shown as typed"),
    ((), {"step.md": "<div>Hidden</div>\n"}, "step.md: raw HTML '<div>Hidden</div>' is not shown"),
    (('hints = ["', 'hints = ["\\u0007'), {}, "step 2 hint 1: characters '\\x07' would not be shown"),
])
def test_text_a_renderer_would_eat_fails(tmp_path, edit, files, words):
    toml = LESSON.replace(*edit) if edit else LESSON
    assert cases(tmp_path, toml, **files)["text: shown as typed"] == words


def _translate(tmp_path, slips: str) -> None:
    folder = write_lesson(tmp_path, "tutor", LESSON, FILES)
    (folder / "zh").mkdir()
    for name, text in FILES.items():
        (folder / "zh" / name).write_text(text, encoding="utf-8")
    (folder / "zh" / "lesson.toml").write_text(f"[[steps]]\n[[steps]]\n{slips}\n[[steps]]\n", encoding="utf-8")


def test_check_lang_zh_fails_when_a_slip_has_no_chinese_message(tmp_path):
    _translate(tmp_path, 'slips = { sign = "{{ theta1_slip_sign:g }} 的符号反了。" }')
    result = run_cli("check", "tutor", "--lessons", str(tmp_path), "--lang", "zh")
    assert result.returncode == 1
    assert "FAIL tutor: translation zh: a message for every slip — no zh message for the slips of step 2: half" \
           in result.stdout
    assert result.stdout.endswith(" passed, 1 failed\n")


def test_check_lang_zh_passes_when_every_slip_has_a_chinese_message(tmp_path):
    _translate(tmp_path, 'slips = { sign = "{{ theta1_slip_sign:g }} 的符号反了。", half = "多走了一倍：漏了 ½。" }')
    result = run_cli("check", "tutor", "--lessons", str(tmp_path), "--lang", "zh")
    assert result.returncode == 0, result.stdout
    assert "ok   tutor: translation zh: a message for every slip" in result.stdout
    chinese = translate(load_lesson(tmp_path / "tutor"), "zh")
    assert [s.message for s in chinese.step(2).slips] == ["{{ theta1_slip_sign:g }} 的符号反了。", "多走了一倍：漏了 ½。"]


# --- a learner's variant --------------------------------------------------------------

VARIED = LESSON.replace('values = "gd.values"', 'values = "gd.values"\nchecks = "gd.checks"\n[expect]\ntheta0 = 0.0\n') + """
[[steps]]
title = "Iterate"
kind = "run"
text = "read.md"
engine = "gd.iterate"
params = { steps = 5 }
"""


def variant_cases(tmp_path, variant: int) -> dict[str, str | None]:
    folder = write_lesson(tmp_path, "tutor", VARIED, FILES)
    checked = check_lesson(load_lesson(folder), smoke=True, variant=variant)
    return {c.name: None if c.ok else c.message for c in checked}


def test_a_variant_is_checked_like_the_articles_numbers_but_against_its_conditions(tmp_path):
    articles, variant = variant_cases(tmp_path / "0", 0), variant_cases(tmp_path / "3", 3)
    assert "expect theta0" in articles and not any(n.startswith("variant") for n in articles)
    assert all(name.startswith("variant 3: ") for name in variant)
    told = {name.removeprefix("variant 3: ") for name in variant}
    articles_only = {"expect theta0", "step 4 smoke run (gd.iterate)"}  # [expect] states the articles' numbers
    assert articles_only <= set(articles) and told == (set(articles) - articles_only) | {"conditions"}
    assert all(message is None for message in variant.values()), variant


def test_a_variant_that_breaks_a_condition_fails_naming_it(tmp_path, monkeypatch):
    def problems(name):
        return lambda variant: ["α is above the critical rate."] if variant == 2 else []

    monkeypatch.setattr(registry, "variant_problems", problems)
    assert variant_cases(tmp_path / "1", 1)["variant 1: conditions"] is None
    assert variant_cases(tmp_path / "2", 2)["variant 2: conditions"] == "α is above the critical rate."


def test_the_cross_checks_are_computed_for_the_variant_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "checks", lambda name: lambda variant=0: [("variant", variant, 3)])
    assert variant_cases(tmp_path / "3", 3)["variant 3: cross-checks (gd.checks)"] is None
    assert variant_cases(tmp_path / "4", 4)["variant 4: cross-checks (gd.checks)"] == "disagree: variant: 4 vs 3"
