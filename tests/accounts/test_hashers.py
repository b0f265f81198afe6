"""Argon2id at OWASP's cost; hashes made with Django's heavier defaults still verify and are upgraded once."""

from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import override_settings

PRODUCTION = ["portal.accounts.hashers.OrgportalArgon2PasswordHasher"]


@override_settings(PASSWORD_HASHERS=PRODUCTION)
def test_new_hashes_use_owasp_parameters():
    assert make_password("a-long-password").startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@override_settings(PASSWORD_HASHERS=PRODUCTION)
def test_django_default_argon2_hash_verifies_and_is_upgraded_once():
    old = Argon2PasswordHasher().encode("a-long-password", "somesaltsomesalt")
    assert "m=102400" in old
    stored = {"hash": old}

    def setter(raw):
        stored["hash"] = make_password(raw)

    assert check_password("a-long-password", old, setter)
    assert "m=19456,t=2,p=1" in stored["hash"]
    upgraded = stored["hash"]
    assert check_password("a-long-password", upgraded, setter)
    assert stored["hash"] == upgraded  # no second upgrade
    assert not check_password("wrong-password", upgraded, setter)
