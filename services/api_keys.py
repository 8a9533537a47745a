"""The channels' API keys: made and revoked by the administrator, shown once, kept as a hash.
A key reads `ck_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole key is
compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import ApiChannel, ApiKey, ApiScope, Role, Unit, User
from services import audit, clock, policy

_KEY_SHAPE = re.compile(r"ck_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
_NO_HASH = hashlib.sha256(b"no such key").hexdigest()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(name: str, channel: ApiChannel, scopes: list[ApiScope], unit: Unit) -> tuple[ApiKey, str]:
    """A new key, in the caller's transaction. Returns the row and the key itself, which is never
    stored and so can be shown only now."""
    prefix = secrets.token_hex(6)
    key = f"ck_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=name, channel=channel, prefix=prefix, secret_hash=_hash(key),
                 scopes=sorted({scope.value for scope in scopes}), unit_id=unit.id, unit=unit,
                 created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    audit.record_admin("api_key_created", f"api key {prefix} ({name})",
                       {"channel": [None, channel.value], "scopes": [None, row.scopes], "unit": [None, unit.code]})
    return row, key


def revoke_key(row: ApiKey) -> None:
    if row.revoked_at is not None:
        return
    row.revoked_at = clock.now()
    audit.record_admin("api_key_revoked", f"api key {row.prefix} ({row.name})")


def authenticate(key: str) -> Optional[ApiKey]:
    """The active key `key` is, or None. An unknown prefix costs the same comparison as a wrong secret."""
    match = _KEY_SHAPE.fullmatch(key or "")
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1))) if match else None
    matches = hmac.compare_digest(row.secret_hash if row else _NO_HASH, _hash(key or ""))
    return row if row is not None and matches and row.revoked_at is None else None


def receiver(row: ApiKey) -> Optional[User]:
    """Who owns the complaints the key files: the first active account of its unit that registers
    complaints, the service center's before any other role."""
    candidates = db.session.scalars(select(User).where(User.unit_id == row.unit_id, User.active.is_(True),
                                                       User.role.in_(policy.REGISTER_ROLES))
                                    .order_by(User.id).limit(50)).all()
    return next((u for u in candidates if u.role == Role.CENTER), candidates[0] if candidates else None)


def keys_page(page: int, per_page: int):
    return db.paginate(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc()),
                       page=page, per_page=per_page, error_out=False)
