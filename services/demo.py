"""The demo organisation, read from an industry profile (profiles/NAME.yaml; the bank by default:
2 branches, 3 departments, a service center, one account per role)."""
from __future__ import annotations

from extensions import db
from services import profiles

DEMO_PASSWORD = "Demo-2026"


def seed_demo(profile: str = "bank") -> bool:
    """Create the profile's organisation with its demo accounts, unless the database holds an
    organisation already. Returns whether it created it. Raises profiles.ProfileError on a broken file."""
    data = profiles.load(profile)
    if profiles.has_organisation():
        return False
    profiles.apply(data, with_accounts=True, password=DEMO_PASSWORD)
    db.session.commit()
    return True
