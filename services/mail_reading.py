"""Reading an e-mail as a complaint: who sent it, the subject and the text (HTML reduced to text,
Chinese charsets decoded), the attached files, and whether it is mail nobody wrote to us (an
auto-reply, a bounce, a loop), which is dropped. Pure functions of the message's bytes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Optional

from services.notify import one_line

# gb2312 is what most Chinese mail says it is, yet clients put GBK characters in it: GB18030 reads
# all of GB2312 and GBK, and so never turns a real character into a question mark.
_CHARSET_READ_AS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030", "cp936": "gb18030",
                    "hz-gb-2312": "hz", "big5": "big5hkscs"}
NUMBER_RE = re.compile(r"\bTS-\d{8}-\d{4}\b", re.IGNORECASE)
MAX_TEXT = 20_000   # characters of text kept from one message
# Where a reply's quotation of the earlier message begins, in the clients our customers use.
_QUOTE_STARTS = re.compile(
    r"^\s*(-{2,}\s*(original message|原始邮件|原始郵件)\s*-{2,}|"
    r"on .{1,200} wrote:|在\s*.{1,200}写道[:：]|.{0,200}於.{1,100}寫道[:：]|发件人[:：]|from:\s)",
    re.IGNORECASE)


@dataclass
class ReadMail:
    message_id: str
    sender: str            # the address, lower case ("" when there is none)
    sender_name: str
    subject: str
    text: str
    in_reply_to: list[str] = field(default_factory=list)   # the Message-IDs it answers
    files: list[tuple[str, bytes]] = field(default_factory=list)
    drop_reason: Optional[str] = None   # why this message is not a customer's: auto_reply, bounce, loop


def read_mail(raw: bytes, envelope_from: Optional[str], own_addresses: set[str], max_received: int) -> ReadMail:
    """`envelope_from` is the SMTP MAIL FROM ("" for a bounce, None when unknown); `own_addresses`
    the addresses we send from and receive at (lower case)."""
    message = message_from_bytes(raw, policy=policy.default)
    name, address = _sender(message, envelope_from)
    read = ReadMail(message_id=_raw_header(message, "Message-ID").strip()[:300], sender=address, sender_name=name,
                    subject=_one_line(_header(message, "Subject"))[:300], text="",
                    in_reply_to=re.findall(r"<[^<>\s]{1,250}>", " ".join(
                        _raw_header(message, header) for header in ("In-Reply-To", "References")))[:20])
    read.drop_reason = _not_a_customer(message, envelope_from, address, own_addresses, max_received)
    if read.drop_reason is None:
        read.text = body_text(message).replace("\x00", "")[:MAX_TEXT]
        read.files = attached_files(message)
    return read


def _one_line(text: str) -> str:
    """A name or subject as the app keeps it: on one line (it reaches notice subjects and exported
    cells) and without NUL characters (PostgreSQL refuses them), whatever an encoded word carried."""
    return one_line(text.replace("\x00", ""))


def _header(message: Message, name: str) -> str:
    """A header decoded whatever it is written in: RFC 2047 words in GBK, raw 8-bit UTF-8 ..."""
    return _decode_words(_raw_header(message, name))


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return _undo_surrogates(str(value))
    return ""


def _undo_surrogates(value: str) -> str:
    """8-bit bytes in a header arrive as surrogates: read them as UTF-8, else as GB18030."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("ascii", "surrogateescape")
    for charset in ("utf-8", "gb18030"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _decode_words(value: str) -> str:
    if "=?" not in value:
        return " ".join(value.split())
    try:
        parts = [(text, _charset(charset) if charset else None) for text, charset in decode_header(value)]
        return " ".join(str(make_header(parts)).split())
    except (LookupError, UnicodeDecodeError, ValueError, HeaderParseError):
        return " ".join(value.split())


def _charset(charset: str) -> str:
    charset = charset.lower()
    return _CHARSET_READ_AS.get(charset, charset)


def _sender(message: Message, envelope_from: Optional[str]) -> tuple[str, str]:
    addresses = getaddresses([_raw_header(message, "From")])
    name, address = addresses[0] if addresses else ("", "")
    if "@" not in address and envelope_from:
        name, address = "", envelope_from
    name = _one_line(_decode_words(name)).strip("\"' ")
    return name[:100], _one_line(address).lower()[:254]


def _not_a_customer(message: Message, envelope_from: Optional[str], sender: str, own: set[str],
                    max_received: int) -> Optional[str]:
    """Why nobody is waiting for an answer to this message, or None when somebody may be."""
    auto_submitted = _raw_header(message, "Auto-Submitted").strip().lower()
    precedence = _raw_header(message, "Precedence").strip().lower()
    if (auto_submitted and auto_submitted != "no") or precedence in {"bulk", "junk", "list", "auto_reply"} \
            or any(_raw_header(message, name) for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder")):
        return "auto_reply"
    return_path = _raw_header(message, "Return-Path").strip()
    if message.get_content_type() == "multipart/report" or envelope_from == "" or return_path == "<>" \
            or sender.split("@")[0] == "mailer-daemon":
        return "bounce"
    message_id = _raw_header(message, "Message-ID").strip().lower()
    if sender in own or message_id.endswith("@complaints>") or len(message.get_all("Received", [])) > max_received:
        return "loop"
    return None


# ----------------------------------------------------------------------------- the text

def body_text(message: Message) -> str:
    """The message's own words: its plain text part, else its HTML part reduced to text."""
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    if plain and plain.strip():
        return _tidy(plain)
    return _tidy(html_to_text(html or ""))


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""    # quoted-printable and base64 undone
    charset = _charset(part.get_content_charset() or "utf-8")
    try:
        return payload.decode(charset)
    except LookupError:
        return payload.decode("utf-8", errors="replace")
    except UnicodeDecodeError:
        # Mislabelled: UTF-8 called GBK or the reverse is the usual case.
        for fallback in ("utf-8", "gb18030"):
            try:
                return payload.decode(fallback)
            except UnicodeDecodeError:
                continue
        return payload.decode(charset, errors="replace")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def without_quotation(text: str) -> str:
    """A reply's new words, without the quoted earlier message below them."""
    kept = []
    for line in text.split("\n"):
        if _QUOTE_STARTS.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return _tidy("\n".join(kept)) or text


class _TextOfHtml(HTMLParser):
    _BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre",
               "section", "article", "header", "footer", "hr"}
    _HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parser.parts).replace("\xa0", " ").split("\n"))


# ----------------------------------------------------------------------------- the files

def attached_files(message: Message) -> list[tuple[str, bytes]]:
    """(name, bytes) of each attached or inline file that is not the text itself."""
    files = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() in {"multipart", "message"}:
            continue
        disposition = part.get_content_disposition()
        is_text = part.get_content_type() in {"text/plain", "text/html"}
        if disposition == "attachment" or (not is_text and disposition in {"inline", None}):
            data = part.get_payload(decode=True) or b""
            files.append((_file_name(part), data))
    return files


def _file_name(part: Message) -> str:
    try:
        return _decode_words(part.get_filename() or "") or "evidence"
    except (LookupError, ValueError):   # a parameter in an unknown charset
        return "evidence"
