"""A draw step: draw on a pad; an engine kept running for this step answers with class
probabilities (the run starts when the step is shown and ends when it is left).

The pad answers with the newest model trained on the lesson's dataset (the learner's
lab-wide choice, else what is on this computer). Without one it offers the models trained
on other datasets, to pick with the keyboard, and ``t`` trains a small one here first."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engines.core.device import cpu_cores
from engines.mnist import data as mnist_data
from engines.mnist.checkpoint_paths import TrainedModel, trained_models
from engines.mnist.infer import INFER, quick_training_seconds
from lab_i18n import N_, _
from tui_lab import render
from tui_lab.messages import RunCommand, RunRequested
from tui_lab.run_session import RunSession, RunState
from tui_lab.widgets.steps.base import SessionBody

if TYPE_CHECKING:
    from lessons.model import Step

MIN_BAR = 4  # columns: a shorter bar no longer shows how sure the model is
TRAIN_IMAGES = next(p.default for p in INFER.params if p.name == "train_images")


class DrawBody(SessionBody):
    DEFAULT_CSS = """
    DrawBody .pad-row { height: auto; margin: 1 0 0 0; }
    DrawBody #probabilities { width: 1fr; padding: 0 0 0 2; }
    DrawBody #trained-models { height: auto; max-height: 8; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("t", "train", N_("train a small model"), show=False)]
    SEND_HZ = 8  # predictions asked for at most this often while drawing

    run_state: reactive[RunState | None] = reactive(None, init=False)  # the followed run's state
    shown_prediction: reactive[int] = reactive(0, init=False)  # which prediction of the run is shown

    def __init__(self, step: Step, values: dict[str, Any], saved: dict[str, Any],
                 session: RunSession | None) -> None:
        super().__init__(step, values, saved, session)
        self._pixels: list[list[int]] | None = None  # the drawing not sent yet
        self._offered: list[TrainedModel] = []  # the models in the list, in its order
        self._said: tuple[str, bool | None] | None = None

    def compose(self) -> ComposeResult:
        from tui_lab.widgets.canvas import DrawingPad

        yield Static("", classes="feedback")  # first: what is missing shows right under the lesson's text
        yield OptionList(id="trained-models")
        with Horizontal(classes="pad-row"):
            yield DrawingPad(id="pad")
            yield Static(_("Draw a digit: the model's guess appears here."), id="probabilities")

    def on_mount(self) -> None:
        self.set_interval(1 / self.SEND_HZ, self._send_drawing)
        self.query_one("#trained-models").display = False
        if self.session is not None and self.session.active:
            self.update_from(self.session)
        else:
            self._use_or_offer()

    def say(self, text: str, ok: bool | None = None) -> None:
        """As every step says, but only what changed: saying scrolls the line into view."""
        if (text, ok) != self._said:
            self._said = (text, ok)
            super().say(text, ok)

    def focus_first(self) -> None:
        models = self.query_one("#trained-models", OptionList)
        # no scrolling: what the pad says (and, once a model answers, the pad) is scrolled to
        (models if models.display else self.query_one("#pad")).focus(scroll_visible=False)

    # -- which model answers -------------------------------------------------------------

    def _dataset(self) -> str:
        """The lesson's dataset: the learner's lab-wide choice, else what is on this computer."""
        chosen = self.app.progress.lesson_params(self.step.lesson_id).get("dataset")
        if chosen in mnist_data.DATASETS:
            return chosen
        return mnist_data.default_dataset(Path(self.app.runs.data_dir))[0]

    def _use_or_offer(self) -> None:
        """Serve the newest model of the lesson's dataset; else offer the others and training."""
        dataset = self._dataset()
        models = trained_models()
        mine = next((model for model in models if model.dataset == dataset), None)
        if mine is not None:
            self._serve(str(mine.path))
            return
        title = mnist_data.dataset_info(dataset).title
        self.watch(self.parent, "virtual_size", self._keep_offer_in_view)
        if not models:
            self.say(_("No trained model yet. Press t to train a small CNN on {dataset} here: {time}.").format(
                dataset=title, time=self._training_time()), ok=None)
            return
        self._offered = models
        listing = self.query_one("#trained-models", OptionList)
        listing.clear_options()
        listing.add_options(Option(f"{model.describe()} · {_when(model.saved_at)}") for model in models)
        listing.border_title = _("trained models · test accuracy")
        listing.highlighted = 0
        listing.display = True
        listing.focus(scroll_visible=False)
        self.say(_("No model trained on {dataset} yet: pick another below (Enter), or press t to train "
                   "a small CNN on {dataset} ({time}).").format(dataset=title, time=self._training_time()), ok=None)

    def _keep_offer_in_view(self) -> None:
        """The lesson's text above is laid out after the step is shown, pushing the offer
        down: until a model is asked for, scroll it back into view."""
        if self.session is None or not self.session.active:
            listing = self.query_one("#trained-models")
            (listing if listing.display else self.query_one(".feedback")).scroll_visible(animate=False)

    def _training_time(self) -> str:
        """"about 10 s on this CPU": how long ``t`` takes on the device runs go to."""
        info = self.app.runs.device_info
        kind = info.kind if info is not None else "cpu"  # not known yet: the slower guess
        seconds = quick_training_seconds(TRAIN_IMAGES, kind, cpu_cores())
        if kind == "cpu":
            return _("about {duration} on this CPU").format(duration=_rounded(seconds))
        return _("about {duration} on this GPU").format(duration=_rounded(seconds))

    def _serve(self, checkpoint: str) -> None:
        self.query_one("#trained-models").display = False
        self.query_one("#pad").focus(scroll_visible=False)
        self.say(_("Loading the model…"), ok=None)
        self.post_message(RunRequested(self.step.lesson_id, self.step.index,
                                       {**self.step.params, "dataset": self._dataset(), "checkpoint": checkpoint}))

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self._serve(str(self._offered[message.option_index].path))

    def action_train(self) -> None:
        if self.session is not None and self.session.active:
            return  # a model is answering, or being trained: leave the step and come back to retrain
        self._serve("train")

    # -- drawing and answers -------------------------------------------------------------

    def on_drawing_pad_changed(self, message) -> None:
        self._pixels = message.pixels

    def _send_drawing(self) -> None:
        session = self.session
        if self._pixels is None or session is None or not session.active or "model" not in session.latest:
            return
        flat = [value for row in self._pixels for value in row]
        self._pixels = None
        self.post_message(RunCommand({"cmd": "predict", "pixels": flat}))

    def attach(self, session: RunSession) -> None:
        self.session = session
        self.set_reactive(DrawBody.shown_prediction, 0)
        self.set_reactive(DrawBody.run_state, None)
        self.update_from(session)

    def update_from(self, session: RunSession) -> None:
        self.shown_prediction = session.versions.get("probabilities", 0)
        self.run_state = session.state
        if session.active and "model" not in session.latest and session.total_steps:
            eta = session.eta_seconds()
            figures = dict(model=session.params.get("model"), step=session.step, total=session.total_steps,
                           dataset=mnist_data.dataset_info(session.params["dataset"]).title)
            if eta is None:
                self.say(_("Training a small {model} on {dataset}: step {step}/{total}. "
                           "The pad uses it when it is done.").format(**figures), ok=None)
            else:
                self.say(_("Training a small {model} on {dataset}: step {step}/{total}, about {left} left. "
                           "The pad uses it when it is done.").format(left=_rounded(eta), **figures), ok=None)
        elif session.active and session.versions.get("model", 0) and not self.shown_prediction:
            self.say(_in_use(session.latest["model"]), ok=None)
            pad = self.query_one("#pad")
            pad.call_after_refresh(pad.scroll_visible, animate=False)  # the sentence is right above it

    def watch_shown_prediction(self, version: int) -> None:
        latest = self.session.latest
        column = self.query_one("#probabilities", Static)
        column.update(guesses(latest["probabilities"]["probs"], (latest.get("model") or {}).get("classes"),
                              column.content_size.width))
        if not self.passed:
            self.solved()

    def watch_run_state(self, state: RunState | None) -> None:
        session = self.session
        if state == RunState.FAILED:
            self.say(session.message + (f"\n{session.hint}" if session.hint else ""), ok=False)
        elif not session.active and session.notes:
            self.say(session.notes[-1], ok=None)


def guesses(probs: list[float], classes: list[str] | None, width: int) -> RenderableType:
    """The model's probabilities as bars in ``width`` columns; where every class's name and
    bar do not fit (Fashion-MNIST's names beside the pad at 80 columns), the likeliest
    three, their names shortened to fit."""
    names = list(classes or [str(i) for i in range(len(probs))])
    bar_room = width - max(len(name) for name in names) - len(" 100.0%") - 1
    if bar_room < MIN_BAR:
        likeliest = sorted(range(len(probs)), key=probs.__getitem__, reverse=True)[:3]
        cut = max(1, width - len(" 100.0%") - 2)
        names = [names[i] if len(names[i]) <= cut else names[i][:cut - 1] + "…" for i in likeliest]
        probs, bar_room = [probs[i] for i in likeliest], 0
    best = max(range(len(probs)), key=probs.__getitem__)
    return Group(Text(_("The model's probabilities"), style="bold"),
                 render.bars(names, probs, width=min(bar_room, 24), highlight=best))


def _in_use(model: dict[str, Any]) -> str:
    """What answers the pad: "The cnn trained on Fashion-MNIST (1 epoch, test accuracy 88.1 %) …"."""
    if model.get("checkpoint") == "untrained":
        return _("An untrained {model} answers (random weights): draw, and see what it makes of it.").format(
            model=model["model"])
    accuracy = model.get("test_accuracy")
    epochs = _("1 epoch") if model["epoch"] == 1 else _("{count} epochs").format(count=model["epoch"])
    figures = epochs if not isinstance(accuracy, (int, float)) else \
        _("{epochs}, test accuracy {accuracy}").format(epochs=epochs, accuracy=f"{accuracy:.1%}")
    title = mnist_data.dataset_info(model["dataset"]).title
    return _("The {model} trained on {dataset} ({figures}) answers: draw, and watch its guess change.").format(
        model=model["model"], dataset=title, figures=figures)


def _rounded(seconds: float) -> str:
    """"40 s", "3 min": a duration as it is said."""
    return f"{max(5, round(seconds / 5) * 5):.0f} s" if seconds < 90 else f"{round(seconds / 60):.0f} min"


def _when(timestamp: float) -> str:
    """A saved model's time: "14:05" today, else its date too."""
    saved = time.localtime(timestamp)
    return time.strftime("%H:%M" if saved[:3] == time.localtime()[:3] else "%Y-%m-%d %H:%M", saved)
