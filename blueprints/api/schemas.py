"""The API's request and answer bodies. The same pydantic models validate the requests (strict
types: a number sent as text is refused, not guessed at) and make the OpenAPI document."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictInt, StrictStr, field_validator

from extensions import gettext as _
from services import identity
from services.notify import one_line

MAX_ID = 2**31 - 1   # a database integer


def _text(max_length: int, **extra):
    return Field(min_length=1, max_length=max_length, **extra)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(_("NUL characters are not allowed."))
    return value


def _flat(value):
    """A single-line field with its line breaks as spaces, as the web forms take it (blueprints.forms):
    the name and the object reach e-mail subjects and exported cells. Flattened rather than refused
    so that the same text is filed alike whichever door it came through."""
    return one_line(value) if isinstance(value, str) else value


class ComplaintIn(_Strict):
    """A customer's complaint. Give the mobile number, the e-mail address, or both: the acceptance
    notice with the tracking code goes there."""
    customer_name: StrictStr = _text(100, description="The customer's name (line breaks become spaces).",
                                     examples=["王建国"])
    mobile: Optional[StrictStr] = Field(None, max_length=32, description="Mainland mobile number.",
                                        examples=["13800138000"])
    email: Optional[EmailStr] = Field(None, max_length=254)
    content: StrictStr = _text(5000, description="What happened.")
    demand: StrictStr = _text(2000, description="What the customer asks for.")
    object_text: StrictStr = _text(200, description="The branch, product or service complained about "
                                                    "(line breaks become spaces).")
    category_id: StrictInt = Field(ge=1, le=MAX_ID, description="A category id (ask the administrator).")
    object_unit_id: Optional[StrictInt] = Field(None, ge=1, le=MAX_ID, description="The branch concerned, if any.")
    language: Literal["zh_CN", "en"] = Field("zh_CN", description="The language of the customer's notices.")
    id_number: Optional[StrictStr] = Field(None, max_length=24, description="Resident ID number.")
    account: Optional[StrictStr] = Field(None, max_length=24, description="Account or card number.")
    nature: Literal["complaint", "suggestion"] = Field(
        "complaint", description="A complaint (投诉) or a suggestion (建议); suggestions only where the "
                                 "organisation takes them (else 422).")

    _nul = field_validator("customer_name", "mobile", "content", "demand", "object_text", "id_number", "account",
                           mode="before")(_no_nul)
    _one_line = field_validator("customer_name", "object_text", mode="before")(_flat)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value):
        try:
            return identity.mobile(value or "")
        except identity.BadNumber:
            raise ValueError(_("Not a mainland mobile number."))

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value):
        try:
            return identity.id_number(value or "")
        except identity.BadNumber:
            raise ValueError(_("Not a valid resident ID number."))

    @field_validator("account")
    @classmethod
    def _account(cls, value):
        try:
            return identity.account(value or "")
        except identity.BadNumber:
            raise ValueError(_("Not an account or card number (12 to 19 digits)."))


class InformationIn(_Strict):
    """More from the customer, for the people handling the complaint."""
    text: StrictStr = _text(3000)
    _nul = field_validator("text", mode="before")(_no_nul)


class Commitment(BaseModel):
    label: str
    due_at: datetime
    met_at: Optional[datetime] = None


class Message(BaseModel):
    at: datetime
    direction: Literal["in", "out"]
    channel: str
    subject: str
    body: str


class EvidenceFile(BaseModel):
    name: str
    size: int


class ComplaintOut(BaseModel):
    """A complaint as its customer sees it on the tracking page."""
    number: str
    channel: str
    state: str
    state_label: str
    received_at: datetime
    closed_at: Optional[datetime] = None


class TimelineOut(ComplaintOut):
    commitments: list[Commitment]
    messages: list[Message]
    files: list[EvidenceFile]


class ComplaintList(BaseModel):
    complaints: list[ComplaintOut]


class Added(BaseModel):
    number: str
    added: Literal["information", "evidence"]


class Error(BaseModel):
    """Every refusal: a code to act on, a sentence for people, and the fields at fault."""
    code: str = Field(examples=["validation_failed"])
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)
