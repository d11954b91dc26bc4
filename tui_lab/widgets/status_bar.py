"""The status bar: device │ lesson and step │ run state │ progress and ETA.

One line of fixed height: updating it never changes the layout, so the UI can refresh
it while a run streams without re-laying out the screen. When the line does not fit, the
run's state, progress and ETA stay whole and the rest gives way: first the lesson's title,
then the device's details, then the rate, then the step; the state and ETA go last.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from lab_i18n import _

SEPARATOR = " │ "


def _short_device(label: str) -> str:
    """``cuda:0 · NVIDIA H200 (139 GiB)`` → ``cuda:0``: the device's name without its details."""
    return label.split(" · ")[0].split(" (")[0]


def _short_speed(speed: str) -> str:
    """``step 120/700 · 1.2k samples/s · ETA 0:12`` → ``step 120/700 · ETA 0:12``: the rate goes first."""
    parts = speed.split(" · ")
    return " · ".join([parts[0], parts[-1]]) if len(parts) > 2 else speed


class StatusBar(Widget):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; background: $primary-background; color: $text; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.device = _("device …")
        self.lesson_title = ""  # the lesson's title: the first part to give way
        self.step_text = ""  # "step 2/11 · set 711"
        self.state = _("idle")
        self.state_kind = ""
        self.speed = ""
        self._shown: tuple | None = None

    def set_device(self, label: str) -> None:
        self.device = label
        self._show()

    def set_where(self, title: str, step: str = "") -> None:
        """Where the learner is: the lesson's ``title`` and the ``step`` (with its set of numbers)."""
        self.lesson_title, self.step_text = title, step
        self._show()

    def set_state(self, text: str, kind: str = "") -> None:
        self.state, self.state_kind = text, kind
        self._show()

    def set_speed(self, text: str) -> None:
        self.speed = text
        self._show()

    @property
    def where(self) -> str:
        return " · ".join(part for part in (self.lesson_title, self.step_text) if part)

    @property
    def text(self) -> str:
        """The whole line, as it reads when nothing has to give way."""
        return SEPARATOR.join(part for part in (self.device, self.where, self.state, self.speed) if part)

    def fitted(self, width: int) -> list[tuple[str, str]]:
        """The parts shown in ``width`` cells as (role, text): the fullest line that fits."""
        device, speed = self.device, self.speed
        tries = [
            (device, self.where, speed),
            (device, self.step_text, speed),
            (_short_device(device), self.step_text, speed),
            (_short_device(device), self.step_text.split(" · ")[0], speed),
            (_short_device(device), "", speed),
            (_short_device(device), "", _short_speed(speed)),
            ("", "", _short_speed(speed)),
            ("", "", speed.split(" · ")[-1] if " · " in speed else speed),
        ]
        line: list[tuple[str, str]] = []
        for device_part, where_part, speed_part in tries:
            line = [(role, text) for role, text in (("device", device_part), ("where", where_part),
                                                    ("state", self.state), ("speed", speed_part)) if text]
            if cell_len(SEPARATOR.join(text for _role, text in line)) <= width:
                break
        return line

    def render(self) -> Text:
        styles = {"state": {"running": "bold green", "waiting": "bold yellow", "failed": "bold red"}.get(self.state_kind,
                                                                                                        "bold")}
        line = Text(no_wrap=True, overflow="ellipsis")
        for i, (role, text) in enumerate(self.fitted(self.content_size.width)):
            if i:
                line.append(SEPARATOR, "dim")
            line.append(text, styles.get(role, ""))
        return line

    @property
    def shown(self) -> str:
        """The line as drawn at the present width."""
        return self.render().plain

    def _show(self) -> None:
        key = (self.device, self.lesson_title, self.step_text, self.state, self.state_kind, self.speed)
        if key != self._shown:
            self._shown = key
            self.refresh()
