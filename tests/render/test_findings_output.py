"""The `check` table on a terminal shows user text as written: no Rich markup, no emoji (issue 23 item 5)."""

from __future__ import annotations

import io

from rich.console import Console

from zonewarden.analysis.findings import Finding
from zonewarden.model.diagnostics import Location
from zonewarden.render.findings import print_findings


def test_a_finding_on_line_100_is_not_an_emoji_and_markup_stays_text():
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=200, color_system=None)
    f = Finding("check:dangling-ref:x", "dangling-ref", "error", "assets.a99.zone: no zone '[bold]z[/]' :smile:",
                Location("dangling.yaml", 100, 27))
    print_findings(console, [f], "plant [red]:100:[/]", {"error": 1, "warning": 0})
    text = buf.getvalue()
    assert "dangling.yaml:100:27" in text and "💯" not in text and "😄" not in text
    assert "'[bold]z[/]' :smile:" in text and "plant [red]:100:[/]: 1 error, 0 warnings" in text
