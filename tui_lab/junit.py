"""JUnit XML for ``tui-lab check --junit``: one test suite a lesson, one case a claim."""

from __future__ import annotations

import itertools
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

from lessons.check import CheckCase


def junit_tree(cases: Iterable[CheckCase]) -> ET.ElementTree:
    cases = list(cases)
    root = ET.Element("testsuites", name="tui-lab check")
    for lesson, group in itertools.groupby(cases, key=lambda c: c.lesson):
        group = list(group)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=lesson,
            tests=str(len(group)),
            failures=str(sum(not c.ok for c in group)),
            errors="0",
            time=f"{sum(c.seconds for c in group):.3f}",
        )
        for case in group:
            element = ET.SubElement(
                suite, "testcase", classname=f"lessons.{lesson}", name=case.name, time=f"{case.seconds:.3f}"
            )
            if not case.ok:
                ET.SubElement(element, "failure", message=case.message).text = case.message
    root.set("tests", str(len(cases)))
    root.set("failures", str(sum(not c.ok for c in cases)))
    return ET.ElementTree(root)


def write_junit(cases: Iterable[CheckCase], path: Path) -> None:
    """Written atomically, so a CI job never reads half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        junit_tree(cases).write(handle, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)
