"""Customer-written text going out in the bank's notices carries no link: a name or subject typed
on the public form ("请立即登录 http://evil.example/bank") must not turn a bank-signed e-mail into
phishing. Mail clients make links of bare domains too, so those go as well."""
from __future__ import annotations

import re

# A URL with a scheme (also glued to Chinese text), a mailto:/javascript:-like one, a www. address,
# or a bare domain name (a dot and a last part of two letters or more, which leaves initials like
# "J.R." alone), with whatever path follows.
_LINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://\S+|\b(?:mailto|javascript|data|tel|sms|file):\S+|www\.\S+"
                   r"|[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b(?:[/?#]\S*)?)")


def without_links(text: str | None) -> str:
    """`text` with every link-like part taken out and the spaces closed up."""
    return " ".join(_LINK.sub(" ", text or "").split())
