"""Switching the interface language: the key line, the keys' descriptions, the step's
buttons and the status bar speak the new language at once, and the lab starts in the
language it is made with."""

from textual.widgets import Button

from lab_i18n import gettext_in


def zh(message: str) -> str:
    """The catalogue's Chinese for ``message``; it must have one (else nothing is tested)."""
    translated = gettext_in("zh", message)
    assert translated != message, f"no Chinese for {message!r} in the catalogue"
    return translated


def description(app, key: str) -> str:
    return app.screen.active_bindings[key].binding.description


def button_label(app, button_id: str) -> str:
    return str(app.step_view.body.query_one(f"#{button_id}", Button).label)


async def test_switching_to_chinese_changes_keys_buttons_and_status(open_lab):
    async with open_lab("gradient-descent:2", size=(120, 40)) as pilot:
        app = pilot.app
        keys = app.screen.query_one("#keys")
        assert "F5 Run" in keys.text and button_label(app, "check") == "Check"
        assert description(app, "f5") == "Run"
        await app.set_language("zh")
        await pilot.pause()
        assert f"F5 {zh('Run')}" in keys.text and f"F6 {zh('Stop')}" in keys.text and "F5 Run" not in keys.text
        assert description(app, "f5") == zh("Run") and description(app, "ctrl+b") == zh("Sidebar")
        assert button_label(app, "check") == zh("Check") and button_label(app, "reveal") == zh("Reveal")
        assert zh("step {index}/{total}").format(index=2, total=11) in app.status.shown
        assert app.main.editor.get_tab("tab-step").label.plain == zh("STEP")
        await app.set_language("en")
        await pilot.pause()
        assert "F5 Run" in keys.text and button_label(app, "check") == "Check" and description(app, "f5") == "Run"


async def test_a_lab_made_in_chinese_starts_in_chinese(open_lab):
    async with open_lab("gradient-descent:7", size=(80, 24), lang="zh") as pilot:
        app = pilot.app
        assert f"F5 {zh('Run')}" in app.screen.query_one("#keys").text
        assert button_label(app, "run") == zh("Run ▶ F5") and button_label(app, "stop") == zh("Stop ■ F6")
        assert description(app, "f6") == zh("Stop")
