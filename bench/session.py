"""Print a portal session cookie for a user, made the way django.contrib.auth's login() makes one.

For the benchmark only, when the portal's login page cannot be used
(not built yet): a session with the three auth keys, stored in the
configured session engine. Usage: python bench/session.py USERNAME
"""

import os
import sys
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402

from portal.accounts.models import User  # noqa: E402


def main(username: str) -> None:
    user = User.objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    print(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")


if __name__ == "__main__":
    main(sys.argv[1])
