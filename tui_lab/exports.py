"""Files the student takes away: every point behind the plots as CSV (e), the screen as SVG (S).

Both go to the lab folder's ``exports``; a name carries the time, so nothing is overwritten.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from lab_i18n import _
from tui_lab import plot_axes
from tui_lab.progress import lab_home

if TYPE_CHECKING:
    from tui_lab.run_session import RunSession
    from tui_lab.widgets.live_plot import LivePlot
    from tui_lab.workbench import MainScreen


def exports_dir() -> Path:
    folder = lab_home() / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stamped(name: str, suffix: str) -> str:
    return f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.{suffix}"


def write_plot_csv(plots: Iterable[LivePlot], name: str) -> Path:
    """Every point of every series (not just the drawn ones), one row each, under the names
    the plots show and by the plots' number rules (steps as integers, no -0.0); the
    series' key is kept beside its name for scripts. Raises OSError."""
    import csv

    path = exports_dir() / stamped(name, "csv")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["plot", "series", "key", "x", "y"])
        for plot in plots:
            names = plot.names()
            for key, series in plot.series.items():
                writer.writerows(
                    (plot.heading, names[key], key, plot_axes.data_number(x, counted=plot.counted_x),
                     plot_axes.data_number(y))
                    for x, y in zip(series.xs, series.ys))
    return path


class ExportActions:
    """Mixed into ``LabApp`` (an ``App`` whose ``main`` is the workbench screen)."""

    main: MainScreen
    session: RunSession | None

    def action_export_csv(self) -> None:
        """Every point behind the plots (not just the drawn ones) as a CSV file."""
        plots = [p for p in self.main.panel.plot_area.plots() if p.points]
        if not plots:
            self.notify(_("No plot data to export yet: run a step first."))
            return
        session = self.session
        try:
            path = write_plot_csv(plots, f"{session.lesson_id}-step{session.index}" if session else "plots")
        except OSError as error:
            self.notify(_("Could not write the CSV file: {error}.").format(error=error.strerror or error),
                        severity="error")
            return
        self.notify(_("Plot data saved to {path}").format(path=path), timeout=8)

    def action_save_svg(self) -> None:
        try:
            path = self.save_screenshot(path=str(exports_dir()), filename=stamped("screen", "svg"))
        except OSError as error:
            self.notify(_("Could not save the screen: {error}.").format(error=error.strerror or error),
                        severity="error")
            return
        self.notify(_("Screen saved to {path}").format(path=path), timeout=8)
