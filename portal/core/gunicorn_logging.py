"""gunicorn's own log lines in the project's JSON shape (gunicorn.conf.py selects this class)."""

from typing import Any

from gunicorn import glogging

from portal.core.logging import JsonFormatter


class GunicornLogger(glogging.Logger):
    """gunicorn's error and access logs as JSON lines; the access line carries the request id.

    The id is the response's X-Request-ID (set by RequestContextMiddleware),
    so the access line joins the application's lines of the same request.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for handler in [*self.error_log.handlers, *self.access_log.handlers]:
            handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == "x-request-id"), "")
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        fields = {
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info(
                "%s %s %s", method, path, status, extra={"request_id": request_id, "fields": fields}
            )
        except Exception:
            self.exception("could not write the access log line")
