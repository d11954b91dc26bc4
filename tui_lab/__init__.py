"""TUI Lab: a VS Code-shaped terminal lab for learning deep learning by doing it."""

__version__ = "0.1.0"
