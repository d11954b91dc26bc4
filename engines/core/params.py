"""Editable run parameters: their specs, parsing from text, and validation.

Every refusal is one sentence that names the parameter, says what is allowed and
repeats what was given, so the same text serves the CLI, the UI form and the checker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from lab_i18n import N_, _


class ParamError(ValueError):
    """A parameter value or name was refused; ``str(error)`` is the sentence to show."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # float, int, str or bool
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # True: value must be > minimum (e.g. a learning rate)
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # former names, still accepted (``current_names`` says the new one)

    def describe(self) -> str:
        """What is allowed, as a phrase in the current language: 'a number greater than 0'."""
        if self.choices:
            return _("one of {choices}").format(choices=", ".join(self.choices))
        noun = _({int: N_("a whole number"), float: N_("a number"), bool: N_("true or false")}.get(self.kind, N_("text")))
        low = None if self.minimum is None else _short(self.minimum)
        high = None if self.maximum is None else _short(self.maximum)
        if low is not None and high is not None:
            phrase = (N_("{noun} greater than {low} and at most {high}") if self.exclusive_minimum
                      else N_("{noun} at least {low} and at most {high}"))
        elif low is not None:
            phrase = N_("{noun} greater than {low}") if self.exclusive_minimum else N_("{noun} at least {low}")
        elif high is not None:
            phrase = N_("{noun} at most {high}")
        else:
            return noun
        return _(phrase).format(noun=noun, low=low, high=high)

    def help_line(self, default: str) -> str:
        """The line under a focused field of the run form: what it does, what is allowed and its
        default, in the current language."""
        if self.choices or self.kind is bool:
            return _("{help}; default {default}.").format(help=_(self.help), default=default)
        return _("{help} — {allowed}; default {default}.").format(help=_(self.help), allowed=self.describe(),
                                                                  default=default)

    def parse(self, raw: Any) -> Any:
        """Turn text (or a value from TOML/JSON) into a checked value, or raise ParamError."""
        text = raw.strip() if isinstance(raw, str) else raw
        if text == "" or text is None:
            raise ParamError(_("{name} is empty; it must be {allowed}.").format(name=self.name, allowed=self.describe()))
        try:
            value = self._convert(text)
        except (TypeError, ValueError):
            raise ParamError(_("{name} must be {allowed}, not {given}.").format(
                name=self.name, allowed=self.describe(), given=repr(raw))) from None
        return self.check(value)

    def _convert(self, value: Any) -> Any:
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            lowered = str(value).lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ValueError(value)
        if self.kind is int:
            if isinstance(value, bool):
                raise ValueError(value)
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if self.kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        return str(value)

    def check(self, value: Any) -> Any:
        if self.choices:
            if value not in self.choices:
                raise ParamError(_("{name} must be {allowed}, not {given}.").format(
                    name=self.name, allowed=self.describe(), given=repr(value)))
            return value
        if self.kind in (int, float):
            if isinstance(value, float) and not math.isfinite(value):
                raise ParamError(_("{name} must be a finite number, not {given}.").format(name=self.name,
                                                                                          given=repr(value)))
            too_low = self.minimum is not None and (
                value <= self.minimum if self.exclusive_minimum else value < self.minimum
            )
            too_high = self.maximum is not None and value > self.maximum
            if too_low or too_high:
                raise ParamError(_("{name} must be {allowed}, not {given}.").format(
                    name=self.name, allowed=self.describe(), given=_short(value)))
        return value


def _short(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


def validate(
    specs: Iterable[Param], overrides: Mapping[str, Any], *, owner: str = "this run"
) -> dict[str, Any]:
    """Defaults of ``specs`` with ``overrides`` applied; the first problem raises ParamError."""
    by_name = {p.name: p for p in specs}
    overrides = current_names(by_name.values(), overrides)[0]
    unknown = sorted(set(overrides) - set(by_name))
    if unknown:
        valid = ", ".join(by_name) or _("none")
        raise ParamError(_("Unknown parameter {name} for {owner}; valid parameters: {valid}.").format(
            name=repr(unknown[0]), owner=owner, valid=valid))
    config = {name: spec.default for name, spec in by_name.items()}
    for name, raw in overrides.items():
        config[name] = by_name[name].parse(raw)
    return config


def current_names(specs: Iterable[Param], overrides: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``overrides`` with former names (``Param.aliases``) replaced by today's, and one note
    per former name used ("`data` is now called `dataset`."), for a host to show."""
    renamed = {alias: p.name for p in specs for alias in p.aliases}
    out: dict[str, Any] = {}
    notes = []
    for name, value in overrides.items():
        new = renamed.get(name)
        if new is None:
            out[name] = value
            continue
        if new in overrides:
            raise ParamError(_("{old} and {new} are one parameter ({old} is its former name); give it once, "
                               "as {new}.").format(old=name, new=new))
        out[new] = value
        notes.append(_("`{old}` is now called `{new}`.").format(old=name, new=new))
    return out, notes


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``["lr=0.1", "steps=5"]`` from the command line into a dict of raw text."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ParamError(_("--param takes NAME=VALUE, for example lr=0.05; got {given}.").format(given=repr(pair)))
        out[name.strip()] = value.strip()
    return out
