"""gunicorn's logger with share tokens cut out (the production recipe's ``--logger-class``).

gunicorn writes its access and error logs through handlers of its own, not Django's ``LOGGING``,
so ``ltxdash.core.logs.RedactTokens`` never sees them; this class redacts the same way.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from ltxdash.core.logs import redact


class GunicornLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        values = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in values.items()}

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().error(redact(str(msg % args if args else msg)), **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().exception(redact(str(msg % args if args else msg)), **kwargs)
