"""The lab driven from the keyboard with Textual's Pilot, engines in real child processes."""

import pytest
from textual.command import CommandList, CommandPalette
from textual.geometry import Region
from textual.widgets import Input, OptionList, TabbedContent

from lessons.judge import judge_answer
from tui_lab.widgets.explorer import LessonTree
from tui_lab.widgets.steps.compute import ComputeBody
from tui_lab.widgets.steps.find_error import FindErrorBody
from tui_lab.widgets.steps.run import RunBody

from conftest import wait_until
from pilot import find_the_errors, lab_ready


def visible(app, selector: str) -> bool:
    widget = app.screen.query_one(selector)
    return widget.display and widget.region.area > 0


async def open_step(pilot, lesson: str, index: int) -> None:
    await pilot.app.open_step(lesson, index)
    await pilot.pause()


def comparison_rows(app) -> dict[int, list]:
    """A solved find-the-error step's table as drawn: line number → [as published, correct,
    drawn as a difference (in a colour of its own)]; wrapped cells are joined."""
    table = app.step_view.body.query_one("#compare")
    strips = list(table.render_lines(Region(0, 0, *table.size)))
    header = next(strip for strip in strips if "As published" in strip.text)
    left, right = header.text.index("As published"), header.text.index("Correct")

    def colour(strip):
        return next(seg.style.color for seg in strip if seg.text.strip())

    plain = colour(header.crop(left, right))
    rows: dict[int, list] = {}
    for strip in strips[strips.index(header) + 1:]:
        number, published, correct = strip.crop(0, left), strip.crop(left, right), strip.crop(right, strip.cell_length)
        if number.text.strip():
            rows[int(number.text)] = [published.text.strip(), correct.text.strip(), colour(published) != plain]
        else:  # a wrapped cell goes on
            row = rows[max(rows)]
            row[0], row[1] = f"{row[0]} {published.text.strip()}".strip(), f"{row[1]} {correct.text.strip()}".strip()
    return rows


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_layout_has_every_part_without_overlap(make_lab, size):
    app = make_lab()
    async with app.run_test(size=size) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 7)  # a run step: the panel is open
        parts = ["#explorer", "#editor", "#panel", "#status", "#keys"]
        if size[0] < 100:  # a run step folds the explorer away below 100 columns
            parts.remove("#explorer")
        for part in parts:
            assert visible(app, part), part
        regions = [app.screen.query_one(p).region for p in parts]
        for i, a in enumerate(regions):
            for b in regions[i + 1:]:
                assert not a.overlaps(b)
        assert not visible(app, "#too-small")
        assert app.status.where == "Gradient descent by hand · step 7/11"


async def test_a_tiny_terminal_gets_a_sentence_instead_of_the_layout(make_lab):
    app = make_lab()
    async with app.run_test(size=(50, 15)) as pilot:
        await pilot.pause()
        assert visible(app, "#too-small") and not visible(app, "#workbench")
        text = app.screen.query_one("#too-small").visual.plain
        assert "at least 60×18" in text and "50×15" in text
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert visible(app, "#workbench") and not visible(app, "#too-small")


async def test_explorer_navigation_opens_steps_with_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        assert app.current == ("gradient-descent", 1)
        tree = app.query_one(LessonTree)
        assert not tree.has_focus  # the keyboard starts in the step
        await pilot.press("f2")
        assert tree.has_focus
        app.explorer.select("gradient-descent", 1)
        await pilot.press("down", "down", "enter")  # → step 3
        await pilot.pause()
        assert app.current == ("gradient-descent", 3)
        assert isinstance(app.focused, Input)  # opening a step puts the keyboard in it


def marked_lines_in_view(view) -> bool:
    """The first line the step runs is on screen (line 0 of the view is the caption)."""
    first = view.location[1]
    return view.scroll_y > 0 and view.scroll_y <= first <= view.scroll_y + view.size.height


async def show_engine_code(pilot):
    """Open the gradient-descent step that runs ``iterate`` and switch to its code (F3);
    returns the code view once the step's lines are scrolled into view."""
    app = pilot.app
    await lab_ready(pilot)
    await open_step(pilot, "gradient-descent", 7)
    await pilot.press("f3")
    view = app.screen.query_one("#source-view")
    await wait_until(pilot, lambda: marked_lines_in_view(view), what="the marked lines scrolled into view")
    return view


async def test_editor_and_panel_tabs_switch_from_the_keyboard(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await show_engine_code(pilot)
        editor = app.screen.query_one("#editor", TabbedContent)
        assert editor.active == "tab-source"
        path, first, last = view.location
        lines = path.read_text().splitlines()
        assert lines[first - 1].startswith("def iterate(")  # the engine code this step runs
        assert "yield Progress" in "\n".join(lines[first - 1:last])
        assert "GRADIENT_DESCENT.PY" in str(editor.get_tab("tab-source").label)
        assert view.scroll_y <= first <= view.scroll_y + view.size.height  # line 0 is the caption
        assert "def iterate(" in "".join(s.text for s in view.render_line(first - int(view.scroll_y)))
        start = view.scroll_y
        await pilot.press("pagedown")  # the student reads on; switching tabs keeps the place
        await wait_until(pilot, lambda: view.scroll_y > start, what="the code scrolled a page")
        read_to = view.scroll_y
        await pilot.press("f3", "f3")
        await pilot.pause()
        assert view.scroll_y == read_to
        await pilot.press("f3")
        assert editor.active == "tab-step"
        assert app.panel.active == "plots"
        await pilot.press("f4")
        assert app.panel.active == "output"
        await pilot.press("f4")
        assert app.panel.active == "problems"


async def test_f3_hands_the_keys_to_the_code_before_the_step_is_hidden(make_lab):
    # In a real terminal a focused button that gets hidden passed the focus to its hidden
    # neighbour, and the editor flipped back to the step: the keys must move at once.
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 7)
        app.step_view.body.query_one("#run").focus()
        await pilot.pause()
        view = app.screen.query_one("#source-view")
        app.action_switch_editor_tab()
        assert app.focused is view  # not after a later refresh
        await pilot.pause()
        await pilot.pause()
        assert app.focused is view and app.screen.query_one("#editor").active == "tab-source"
        app.action_switch_editor_tab()
        assert app.focused is None  # let go before the code tab is hidden; the step takes it next
        await wait_until(pilot, lambda: app.focused is not None and app.focused is not view, what="the step's focus")
        assert app.screen.query_one("#editor").active == "tab-step"


async def test_the_engine_tab_scrolls_to_its_lines_even_without_show_or_resize(make_lab):
    # In a real terminal the tab can be shown before its size settles, and a later
    # Resize may never come: the first drawn frame must still bring the lines into view.
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await show_engine_code(pilot)
        view.scroll_to(y=0, animate=False, immediate=True)
        assert not marked_lines_in_view(view)
        view.show_code("engine", "gd.iterate")  # new content on a tab already shown: no Show, no Resize
        await wait_until(pilot, lambda: marked_lines_in_view(view), what="the lines scrolled into view on drawing")
        start = view.scroll_y
        await pilot.press("pagedown")  # brought into view once; from then on the reader scrolls
        await wait_until(pilot, lambda: view.scroll_y > start, what="the code scrolled a page")
        await pilot.pause()
        assert view.scroll_y > start


async def test_the_engine_tab_redraws_in_a_new_theme_and_not_on_focus(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await show_engine_code(pilot)
        drawn = dict(view._strips)
        assert drawn
        await pilot.press("f3", "f3")  # away and back: focus moves, the drawn lines stay
        await pilot.pause()
        assert all(view._strips.get(i) is strip for i, strip in drawn.items())
        dark_background = view.rich_style.bgcolor
        app.theme = "textual-light"
        await wait_until(pilot, lambda: view.rich_style.bgcolor != dark_background, what="the light theme")
        await pilot.pause()
        line = view.render_line(3)
        assert line.text.strip() and {seg.style.bgcolor for seg in line if seg.style} == {view.rich_style.bgcolor}


async def use_palette(pilot, key: str, text: str, until) -> None:
    """Open the palette with ``key``, type ``text``, wait for it to be the top hit, run it."""
    app = pilot.app
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    await pilot.press(*text)

    def top_hit_matches() -> bool:
        hits = app.screen.query_one(CommandList)
        if hits.option_count == 0 or hits.highlighted is None:
            return False
        prompt = hits.get_option_at_index(hits.highlighted).prompt
        return text.lower() in getattr(prompt, "plain", str(prompt)).lower()

    await wait_until(pilot, top_hit_matches, what=f"a hit for {text!r}")
    await pilot.press("enter")
    await wait_until(pilot, until, what=f"the effect of {text!r}")


async def test_palette_commands_run_lab_actions(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await use_palette(pilot, "ctrl+p", "next step", lambda: app.current == ("gradient-descent", 2))
        await use_palette(pilot, "f1", "toggle sidebar", lambda: app.screen.has_class("-hide-sidebar"))
        await use_palette(pilot, "f1", "toggle panel", lambda: not app.screen.has_class("-hide-panel"))
        await use_palette(pilot, "f1", "open lesson: self-test", lambda: (app.current or ("",))[0] == "selftest")
        await use_palette(pilot, "f1", "light/dark", lambda: app.current_theme.dark is False)
        await use_palette(pilot, "f1", "device: cpu", lambda: app.host.device == "cpu")


async def test_step_navigation_crosses_lessons(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await pilot.press("f8", "f8")
        assert app.current == ("gradient-descent", 3)
        await pilot.press("f7")
        assert app.current == ("gradient-descent", 2)
        await open_step(pilot, "gradient-descent", 11)
        await pilot.press("f8")
        ids = app.catalog.ids()
        following = ids[ids.index("gradient-descent") + 1]
        assert app.current == (following, 1)  # the next lesson in the course
        await pilot.press("f7")
        assert app.current == ("gradient-descent", 11)


async def test_compute_step_wrong_answer_hint_and_right_answer(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 3)
        app.step_view.focus_first()
        step = app.screen.query_one(ComputeBody)
        feedback = step.query_one(".feedback")
        for typed, sentence in [("", "Type a number first"), ("abc", "is not a number"), ("nan", "NaN is not an answer")]:
            step.query_one(Input).value = typed
            await pilot.press("enter")
            assert sentence in feedback.visual.plain
        assert app.progress.state("gradient-descent", 3) == "seen"
        step.query_one(Input).value = ""
        await pilot.press(*"-2.8", "enter")  # the article's sign error
        assert feedback.visual.plain == judge_answer(step.step, step.values, "-2.8").message
        assert "Hint 1/3" in step.query_one(".hint").visual.plain  # a hint after a wrong try
        step.query_one(Input).value = ""
        await pilot.press(*"2.8", "enter")
        assert "Correct: 2.8" in feedback.visual.plain
        assert app.progress.state("gradient-descent", 3) == "solved"
        assert app.screen.query_one(".after").has_class("-shown")


async def test_find_the_error_by_marking_lines(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 8)
        app.step_view.focus_first()
        await pilot.pause()
        assert isinstance(app.focused, OptionList) and app.focused.parent is app.screen.query_one(FindErrorBody)
        assert (await find_the_errors(pilot)).startswith("✓ Right: line")
        assert app.progress.state("gradient-descent", 8) == "solved"
        await pilot.pause()
        rows = comparison_rows(app)
        assert rows[6][:2] == ["θ₁ = −0.3", "θ₁ = 2.8"]  # side by side
        assert rows[2][2] and not rows[1][2]  # the lines that differ stand out


async def test_run_started_and_stopped_from_the_keyboard_reaches_the_plot(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "selftest", 2)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session is not None and app.session.step >= 5, what="progress")
        plot = app.panel.plot_area.plot("loss")
        await wait_until(pilot, lambda: plot.points >= 5 and plot.builds >= 1, what="points on the plot")
        assert app.status.speed.startswith("step ") and "samples/s" in app.status.speed
        await pilot.press("f6")
        await wait_until(pilot, lambda: not app.session.active, what="the stop")
        assert app.session.state == "stopped"
        assert "Stopped at step" in app.screen.query_one(RunBody).query_one(".feedback").visual.plain
        kept = plot.points
        assert kept >= 5  # partial results stay on screen


async def test_a_gradient_descent_run_fills_its_table_and_plots(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 5)
        app.step_view.focus_first()
        await pilot.press("f5")  # a manual run starts paused…
        await wait_until(pilot, lambda: app.session and app.session.state == "running", what="the run")
        await wait_until(pilot, lambda: app.screen.focused.id == "next-iteration", what="Next")
        await pilot.press("tab", "enter")  # …and "To the end" lets it finish
        await wait_until(pilot, lambda: app.session.state == "completed", what="the end of the run")
        table = app.screen.query_one("#rows")
        await wait_until(pilot, lambda: table.row_count == 31, what="the table")
        assert [str(c) for c in table.get_row_at(1)][:2] == ["1", "2.8"]
        assert app.panel.plot_area.plot("theta").series["theta"].ys[1] == pytest.approx(2.8)
        assert app.progress.state("gradient-descent", 5) == "solved"


async def test_invalid_run_parameters_get_a_sentence_and_nothing_starts(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 7)
        app.screen.query_one("#param-lr", Input).value = "-0.1"
        await pilot.press("f5")
        feedback = app.screen.query_one(RunBody).query_one(".feedback").visual.plain
        assert feedback == "lr must be a number greater than 0 and at most 10, not -0.1."
        assert app.session is None
        assert app.focused is app.screen.query_one("#param-lr")


async def test_an_engine_crash_shows_in_problems_and_the_ui_keeps_working(make_lab):
    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "selftest", 3)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session and app.session.state == "failed", what="the crash")
        problems = app.panel.problems
        assert problems.row_count == 1
        assert "selftest crash requested at step 3" in str(problems.get_row_at(0)[1])
        assert "PROBLEMS 1" in str(app.panel.tabs.get_tab("problems").label)
        # still usable: navigate and run another engine
        await pilot.press("f7")
        assert app.current == ("selftest", 2)
        await open_step(pilot, "gradient-descent", 7)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.session.state == "completed", what="a run after the crash")


async def test_progress_is_restored_when_the_lab_reopens(make_lab):
    first = make_lab()
    async with first.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await pilot.press("f8", "f8")
    second = make_lab()
    async with second.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        assert second.current == ("gradient-descent", 3)
        assert second.progress.state("gradient-descent", 1) == "solved"


async def test_over_ssh_animations_are_off(make_lab, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    app = make_lab()
    assert app.animation_level == "none"


async def test_a_download_shows_progress_in_the_panel_until_the_run_starts(make_lab):
    from engines.core.events import Artifact, Started

    app = make_lab()
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        bar = app.panel.download
        app.runs.apply_events([Artifact("download", {"file": "train-images-idx3-ubyte.gz",
                                                     "done_bytes": 2_000_000, "total_bytes": 9_912_422})])
        await wait_until(pilot, lambda: bar.region.area > 0, what="the download bar laid out")
        assert bar.has_class("-active") and bar.region.area > 0 and app.panel.active == "plots"
        assert "train-images-idx3-ubyte.gz · 2.0/9.9 MB" in bar.query_one("#download-label").visual.plain
        assert bar.query_one("#download-bar").percentage == pytest.approx(2_000_000 / 9_912_422)
        app.runs.apply_events([Started("cpu", {}, 10)])
        await pilot.pause()
        assert not bar.has_class("-active")


async def test_a_served_lab_redraws_its_plots_less_often_and_does_not_animate(make_lab):
    from tui_lab.refresh import SERVED, TERMINAL

    assert make_lab().animation_level != "none"
    app = make_lab(refresh=SERVED)
    assert app.animation_level == "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await lab_ready(pilot)
        await open_step(pilot, "gradient-descent", 7)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.panel.plot_area.plots(), what="the run's plots")
        assert {plot.fps for plot in app.panel.plot_area.plots()} == {SERVED.plot_fps} != {TERMINAL.plot_fps}


def test_an_engine_tab_names_the_file_so_it_says_which_engine():
    from tui_lab.widgets.source_view import file_label, locate

    def label(name: str) -> str:
        return file_label(locate("engine", name)[0])

    assert label("mnist") == "mnist/engine.py" and label("cifar10") == "cifar/engine.py"
    assert label("gd.iterate") == "gradient_descent.py" and label("backprop.explore") == "backprop.py"
    assert len({label(name) for name in ("mnist", "cifar10", "mnist.infer")}) == 3
