"""A run step's settings as a compact form, one row per parameter, like an editor's settings:
a mark when the value differs from the step's default, the name, and a control that shows the
whole value — a list for choices, a switch for on/off, a field for numbers and text. A field
is checked as it is typed with the engine's own rule (``Param.parse``); a value it refuses gets
the rule's sentence under its row. The focused row's help is the line right under that row.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from engines.core.params import Param, ParamError
from lab_i18n import _
from tui_lab.run_settings import RunSettings

CHANGED = "●"


class ParamRule(Validator):
    """A field's value as its parameter's spec judges it: the one rule the engine uses."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param

    def validate(self, value: str) -> ValidationResult:
        try:
            self.param.parse(value)
        except ParamError as error:
            return self.failure(str(error), value)
        return self.success()


def _text(value: Any) -> str:
    """A value as a field shows it (floats in their shortest exact form: 0.001, 1e-06)."""
    return repr(value) if isinstance(value, float) else str(value)


def _on_off(value: bool) -> str:
    return _("on") if value else _("off")


class RunForm(Vertical):
    DEFAULT_CSS = """
    RunForm { height: auto; margin: 1 0 0 0; }
    RunForm .setting { height: auto; }
    RunForm .line { height: 1; }
    RunForm .mark { width: 2; color: $accent; }
    RunForm .name { color: $text-muted; }
    RunForm .name.-changed { color: $text; text-style: bold; }
    RunForm Input { width: 14; }
    RunForm Input.-text { width: 1fr; }
    RunForm Switch { border: none; height: 1; padding: 0; }
    RunForm Switch:focus { border: none; background-tint: $foreground 10%; }
    RunForm .on-off { width: auto; padding: 0 1; }
    RunForm .problem { display: none; color: $text-error; height: auto; }
    RunForm .problem.-shown { display: block; }
    RunForm .help { display: none; color: $text-muted; height: auto; width: 1fr; padding: 0 0 0 2; }
    RunForm .note { color: $text-muted; height: auto; }
    """

    class Edited(Message):
        """The learner changed a setting: every row's checked value (a refused field keeps its last good one)."""

        def __init__(self, settings: RunSettings, values: dict[str, Any]) -> None:
            super().__init__()
            self.settings, self.values = settings, values

    def __init__(self, settings: RunSettings) -> None:
        super().__init__()
        self.settings = settings
        self.params = {p.name: p for p in settings.rows}
        self._good = dict(settings.start)  # each row's last value its rule accepted
        self._posted = dict(settings.start)  # what Edited said last

    def compose(self) -> ComposeResult:
        self.display = bool(self.params)  # a step may run without settings to show
        indent = 2 + max(map(len, self.params), default=0) + 1
        # lists as wide as the longest choice of any (and its arrow): the whole value shows, the arrows align
        self._list_width = max((len(c) + 4 for p in self.settings.rows for c in p.choices), default=0)
        for param in self.settings.rows:
            with Vertical(classes="setting"):
                with Horizontal(classes="line"):
                    yield Static("", classes="mark", id=f"mark-{param.name}")
                    label = Label(param.name, classes="name", id=f"name-{param.name}")  # the engine's name, as typed
                    label.styles.width = indent - 2
                    yield label
                    yield self._control(param, self.settings.start[param.name])
                    if param.kind is bool:  # a switch's look alone does not say which way it is
                        yield Static(_on_off(self.settings.start[param.name]), classes="on-off",
                                     id=f"on-off-{param.name}")
                problem = Static("", classes="problem", id=f"problem-{param.name}")
                problem.styles.padding = (0, 0, 0, indent)
                yield problem
        yield Static("", classes="help")
        yield Static(classes="note")

    def _control(self, param: Param, value: Any) -> Widget:
        name = f"param-{param.name}"
        if param.choices:
            select = Select([(c, c) for c in param.choices], value=value, allow_blank=False, compact=True, id=name)
            select.styles.width = self._list_width
            return select
        if param.kind is bool:
            return Switch(value, animate=False, id=name)
        kind = {int: "integer", float: "number"}.get(param.kind, "text")
        return Input(_text(value), type=kind, validators=[ParamRule(param)], compact=True, id=name,
                     classes="-text" if kind == "text" else "")

    def on_mount(self) -> None:
        for name in self.params:
            self._show_mark(name)
        self._show_note()

    # -- reading and setting -------------------------------------------------------------

    def control(self, name: str) -> Widget:
        return self.query_one(f"#param-{name}")

    def first_problem(self) -> tuple[Widget, str] | None:
        """The first row whose field its rule refuses, and the rule's sentence."""
        for name, param in self.params.items():
            control = self.control(name)
            if isinstance(control, Input):
                try:
                    param.parse(control.value)
                except ParamError as error:
                    return control, str(error)
        return None

    def values(self) -> dict[str, Any]:
        """Every row's value as its rule reads it now (a refused field: its last accepted value)."""
        values = dict(self._good)
        for name, param in self.params.items():
            control = self.control(name)
            try:
                values[name] = param.parse(control.value) if isinstance(control, Input) else control.value
            except ParamError:
                pass
        return values

    def set_value(self, name: str, value: Any) -> None:
        control = self.control(name)
        control.value = _text(value) if isinstance(control, Input) else value

    def reset(self) -> None:
        """Every row back to the step's default."""
        for name, value in self.settings.defaults.items():
            self.set_value(name, value)

    def changed(self) -> bool:
        """Does any row differ from its default?"""
        return any(self.settings.changed(name, value) for name, value in self._good.items())

    # -- following the controls -----------------------------------------------------------

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        name = self._row_of(event.input)
        result = event.validation_result
        problem = self.query_one(f"#problem-{name}", Static)
        problem.update(Text(result.failure_descriptions[0] if result and not result.is_valid else ""))
        problem.set_class(bool(result and not result.is_valid), "-shown")
        if result is None or result.is_valid:
            self._accept(name, self.params[name].parse(event.value))

    @on(Select.Changed)
    @on(Switch.Changed)
    def _chosen(self, event: Select.Changed | Switch.Changed) -> None:
        event.stop()
        control = event.select if isinstance(event, Select.Changed) else event.switch
        name = self._row_of(control)
        if isinstance(event, Switch.Changed):
            self.query_one(f"#on-off-{name}", Static).update(_on_off(event.value))
        self._accept(name, event.value)

    def _accept(self, name: str, value: Any) -> None:
        self._good[name] = value
        self._show_mark(name)
        self._show_note()
        if self._good != self._posted:
            self._posted = dict(self._good)
            self.post_message(self.Edited(self.settings, dict(self._good)))

    def _show_mark(self, name: str) -> None:
        changed = self.settings.changed(name, self._good[name])
        self.query_one(f"#mark-{name}", Static).update(CHANGED if changed else "")
        self.query_one(f"#name-{name}", Label).set_class(changed, "-changed")

    def _show_note(self) -> None:
        """Why a lab-wide row has its value; how to undo changes, once there are some."""
        changed = _("{mark} changed from this step's default · Ctrl+Z: all back").format(mark=CHANGED) \
            if self.changed() else ""
        note = "\n".join(part for part in (self.settings.note(self._good), changed) if part)
        self.query_one(".note", Static).update(Text(note))
        self.query_one(".note", Static).display = bool(note)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The focused row's help shows right under that row, across the form's whole width
        (while the keyboard is in the form)."""
        name = self._row_of(event.widget)
        if name is None:
            return
        param, default = self.params[name], self.settings.defaults[name]
        shown = _on_off(default) if param.kind is bool else _text(default)
        if param.choices or param.kind is bool:
            text = _("{help}; default {default}.").format(help=_(param.help), default=shown)
        else:
            text = _("{help} — {allowed}; default {default}.").format(help=_(param.help), allowed=param.describe(),
                                                                      default=shown)
        help_line = self.query_one(".help", Static)
        help_line.update(Text(text))
        help_line.display = True
        self.move_child(help_line, after=self.query_one(f"#problem-{name}").parent)
        help_line.call_after_refresh(help_line.scroll_visible, animate=False)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._hide_help)

    def _hide_help(self) -> None:
        if not self.has_focus_within:
            self.query_one(".help", Static).display = False

    def _row_of(self, widget: Widget) -> str | None:
        """The parameter whose control ``widget`` is (or is inside: a list's open menu)."""
        for node in (widget, *widget.ancestors):
            if node.id and node.id.startswith("param-") and node.id[6:] in self.params:
                return node.id[6:]
        return None
