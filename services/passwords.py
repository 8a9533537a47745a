"""The password policy for every password a user chooses (the demo password predates it).

At least 10 characters; at least 3 of the 4 kinds lowercase, uppercase, digits, other characters
(any non-ASCII letter, e.g. Chinese, counts as "other"); it must not contain the username; and it
must not be one of the passwords every attacker tries first (compared without case, digits and
punctuation at the ends ignored, so "Password123!" counts as "password")."""
from __future__ import annotations

import functools
import string

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import lazy_gettext as _l

MIN_LENGTH = 10
# The start of every guessing list, plus the obvious local ones (the bank's own words, pinyin).
COMMON = frozenset("""
password passw0rd p@ssw0rd qwerty qwertyuiop asdfghjkl zxcvbnm abc abcd abcdef letmein welcome
admin administrator root changeme secret iloveyou monkey dragon sunshine princess football baseball
master superman trustno1 whatever shadow michael login starwars 1q2w3e4r 1qaz2wsx zaq12wsx qazwsx
woaini woaini1314 aini1314 nihao huawei baidu taobao wangyi zhongguo china beijing shanghai
bank yinhang mima kefu tousu complaint complaints demo test guest user
""".split())


def _core(password: str) -> str:
    return password.lower().strip(string.digits + string.punctuation + " ")


def _kinds(password: str) -> int:
    return sum([any(c.islower() and c.isascii() for c in password),
                any(c.isupper() and c.isascii() for c in password),
                any(c.isdigit() for c in password),
                any(not (c.isascii() and c.isalnum()) for c in password)])


def password_problems(password: str, username: str) -> list:
    """What is wrong with `password` as a new password of `username`; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(count)s characters.", count=MIN_LENGTH))
    if _kinds(password) < 3:
        problems.append(_l("Mix at least three of: lowercase letters, capital letters, digits, other characters."))
    if username and username.lower() in password.lower():
        problems.append(_l("Do not use your username in the password."))
    if _core(password) in COMMON or password.lower() in COMMON:
        problems.append(_l("This password is too common; choose another."))
    return problems


@functools.lru_cache(maxsize=4)
def _stand_in_hash(method: str) -> str:
    return generate_password_hash("no account has this password", method=method)


def check_sign_in(user, password: str) -> bool:
    """Whether `user` (None when the name is unknown) may sign in with `password`. An unknown or
    disabled account costs the same hash verification as a known one, so the answer's timing does
    not tell which usernames exist."""
    if user is None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        check_password_hash(_stand_in_hash(method), password)
        return False
    matches = check_password_hash(user.password_hash, password)
    return matches and user.active
