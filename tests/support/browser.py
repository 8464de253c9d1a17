"""Where the browser tests find Chromium: Debian's, never a downloaded one."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
