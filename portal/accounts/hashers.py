"""Argon2id with OWASP's recommended cost (19 MiB, 2 passes, 1 lane).

Django's defaults (100 MiB, 8 lanes) take about half a second of both
cores of a small server per sign-in; these parameters keep Argon2id's
resistance to GPU guessing at a cost a busy sign-in page can afford.
Hashes made with other parameters are upgraded at the next sign-in.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class OrgportalArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
