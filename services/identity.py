"""Who the customer is: their mainland mobile number, resident ID number and account number,
checked and brought to one form (so the same customer is found however the number was typed), and
masked for every list and export. Pure functions: no database, no request."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

MOBILE = re.compile(r"1[3-9]\d{9}")
ID_NUMBER = re.compile(r"\d{17}[\dX]")
ACCOUNT = re.compile(r"\d{12,19}")
# GB 11643: the weights of the 17 digits and the check character for the sum modulo 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
KINDS = ("mobile", "id_number", "account")


class BadNumber(ValueError):
    """Not a valid number of its kind; the form says so in words."""


def _compact(text: str) -> str:
    """Without the spaces and dashes people type to group digits."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def mobile(text: str) -> Optional[str]:
    """The 11 digits of a mainland mobile number (a +86 or 0086 prefix dropped); None when empty."""
    value = _compact(text)
    if not value:
        return None
    value = re.sub(r"^(\+86|0086)", "", value)
    if not MOBILE.fullmatch(value):
        raise BadNumber(text)
    return value


def id_number(text: str) -> Optional[str]:
    """An 18-character resident ID number whose check character is right (X upper-case)."""
    value = _compact(text)
    if not value:
        return None
    if not ID_NUMBER.fullmatch(value):
        raise BadNumber(text)
    total = sum(int(digit) * weight for digit, weight in zip(value, ID_WEIGHTS))
    if ID_CHECK[total % 11] != value[-1]:
        raise BadNumber(text)
    return value


def account(text: str) -> Optional[str]:
    """An account or card number: 12 to 19 digits."""
    value = _compact(text)
    if not value:
        return None
    if not ACCOUNT.fullmatch(value):
        raise BadNumber(text)
    return value


NORMALISE = {"mobile": mobile, "id_number": id_number, "account": account}


def mobile_in(contact: str) -> Optional[str]:
    """The mobile number a contact is, if it is one (a contact may be an e-mail or a landline)."""
    try:
        return mobile(contact)
    except BadNumber:
        return None


def guess(text: str) -> Optional[tuple[str, str]]:
    """(kind, number) for a number typed without saying which it is: a mobile, else an ID number,
    else an account; None when it is none of them."""
    for kind in KINDS:
        try:
            value = NORMALISE[kind](text)
        except BadNumber:
            continue
        if value:
            return kind, value
    return None


# ----------------------------------------------------------------------------- masking

def mask_mobile(value: Optional[str]) -> str:
    """138****1234: the operator prefix and the last four."""
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 8 else "****"


def mask_tail(value: Optional[str]) -> str:
    """An ID or account number as its last four only."""
    if not value:
        return ""
    return f"****{value[-4:]}" if len(value) > 4 else "****"


def mask_contact(value: Optional[str]) -> str:
    """A contact as a list may show it: an e-mail keeps its first letter and its domain, a phone
    number its first three and last four digits."""
    value = (value or "").strip()
    if not value:
        return ""
    if "@" in value:
        local, _at, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", value)
    return mask_mobile(digits) if len(digits) >= 8 else "****"


@dataclass(frozen=True)
class Numbers:
    """A customer's numbers as typed into a search: any of them identifies the customer."""
    mobile: Optional[str] = None
    id_number: Optional[str] = None
    account: Optional[str] = None

    def __bool__(self) -> bool:
        return bool(self.mobile or self.id_number or self.account)

    def as_args(self) -> dict:
        return {kind: getattr(self, kind) for kind in KINDS if getattr(self, kind)}

    def masked(self) -> str:
        parts = [mask_mobile(self.mobile), mask_tail(self.id_number), mask_tail(self.account)]
        return " · ".join(part for part in parts if part)


def numbers_in(text: str) -> Numbers:
    """Every kind of number `text` is valid as (an 18-digit number may be an ID or an account)."""
    found = {}
    for kind in KINDS:
        try:
            found[kind] = NORMALISE[kind](text)
        except BadNumber:
            found[kind] = None
    return Numbers(**found)


def numbers_from(args, names: dict | None = None) -> Numbers:
    """The valid numbers among `args` (a mapping of kind, or `names[kind]`, to typed text); an
    invalid one is left out, so a number half typed finds nothing rather than failing."""
    names = names or {kind: kind for kind in KINDS}
    found = {}
    for kind in KINDS:
        try:
            found[kind] = NORMALISE[kind](str(args.get(names[kind]) or "")[:64])
        except BadNumber:
            found[kind] = None
    return Numbers(**found)


def masked_numbers(complaint) -> str:
    """The complaint's customer numbers, masked, for a row of a list."""
    return Numbers(complaint.customer_mobile, complaint.customer_id_number, complaint.customer_account).masked()
