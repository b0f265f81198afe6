"""gunicorn configuration for orgportal: `gunicorn` from the repository root picks it up.

Everything comes from the environment, like the Django settings:

  PORT / BIND            where to listen (BIND wins; default 0.0.0.0:$PORT, PORT 8000)
  WEB_CONCURRENCY        worker processes (default 2 x CPUs + 1, at most 8)
  GUNICORN_THREADS       threads per worker (default 1: sync workers)
  GUNICORN_TIMEOUT       seconds before a stuck worker is restarted (default 30)
  FORWARDED_ALLOW_IPS    proxies whose X-Forwarded-Proto is believed (default 127.0.0.1,::1);
                         a request they mark https is secure for Django (HSTS, secure cookies)
  LOG_LEVEL              gunicorn's error log level (default info)

Logs are JSON lines on stdout (access) and stderr (everything else); the
access line carries the request's id, the same as the application's lines.
"""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"

bind = [os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 10000)
max_requests_jitter = max_requests // 10

# Only these peers may say that the client spoke HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Request lines and headers bigger than this are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "portal.core.gunicorn_logging.GunicornLogger"
proc_name = "orgportal"
# No control socket under $HOME: several servers on one machine (tests, soak,
# benchmark) would share its path, and nothing here uses gunicornc.
control_socket_disable = True
