"""A watch on a browser page for the problems every browser test must fail on: an HTTP 5xx, a console
error (Chromium reports a CSP violation as one), an uncaught page error. Expected 4xx answers (a refused
file in a batch) are named by the test, so nothing else slips through."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageGuard:
    """Problems seen on the watched pages; ``allow`` holds patterns of expected console errors."""

    problems: list[str] = field(default_factory=list)
    allow: list[re.Pattern[str]] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        """Start watching ``page``; returns it."""
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("response", self._response)
        return page

    def _response(self, resp: Any) -> None:
        if resp.status >= 500:
            self.problems.append(f"{resp.status} from {resp.url}")

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        text = f"{msg.text} @ {where}"
        if not any(p.search(text) for p in self.allow):
            self.problems.append(f"console error: {text}")

    def check(self) -> None:
        """Fail with every problem seen."""
        assert not self.problems, "\n".join(self.problems[:20])
