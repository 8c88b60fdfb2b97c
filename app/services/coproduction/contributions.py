""" "My contributions": everything one resident has given the map, with where it stands.

Their suggestions (assets they suggested, by status), reports, the assets they said they use,
their offers of help, the gaps they reported or supported and their introduction requests.
Shown only to that resident (the page and the API read the signed-in viewer, nobody else's).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import PERSON_KINDS, Asset, AssetUse, Introduction, Report, User
from app.services.coproduction import gaps, offers
from app.services.coproduction.gaps import GapView
from app.services.coproduction.offers import OfferView
from app.services.users import actor_of


@dataclass(frozen=True)
class Suggestion:
    """An asset the resident suggested, and whether it is on the map yet."""

    asset_id: int
    name_en: str | None
    name_cy: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ReportMade:
    """A report the resident made about an asset, and what a connector decided."""

    asset_id: int
    name_en: str | None
    name_cy: str | None
    problem: str
    status: str
    reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Used:
    """An asset the resident said they use (published assets only: the mark stays if it is
    archived, but the page has nothing to link to)."""

    asset_id: int
    name_en: str | None
    name_cy: str | None
    published: bool


@dataclass(frozen=True)
class IntroductionAsked:
    """An introduction the resident asked for."""

    introduction_id: int
    theme: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class Contributions:
    """Everything one resident contributed, newest first within each kind."""

    suggestions: list[Suggestion]
    reports: list[ReportMade]
    uses: list[Used]
    offers: list[OfferView]
    gaps: list[GapView]
    introductions: list[IntroductionAsked]

    @property
    def empty(self) -> bool:
        """Whether the resident has contributed nothing yet."""
        return not any(
            (self.suggestions, self.reports, self.uses, self.offers, self.gaps, self.introductions)
        )


def contributions_of(session: Session, user: User) -> Contributions:
    """What this user contributed (read for them alone)."""
    actor = actor_of(user)
    suggestions = [
        Suggestion(*row)
        for row in session.execute(
            select(Asset.id, Asset.name_en, Asset.name_cy, Asset.status, Asset.created_at)
            # A resident's own person record is their offer, listed with the offers.
            .where(Asset.created_by == actor, Asset.kind.not_in(PERSON_KINDS))
            .order_by(Asset.id.desc())
        )
    ]
    reports = [
        ReportMade(*row)
        for row in session.execute(
            select(
                Report.asset_id,
                Asset.name_en,
                Asset.name_cy,
                Report.problem,
                Report.status,
                Report.reason,
                Report.created_at,
            )
            .join(Asset, Asset.id == Report.asset_id)
            .where(Report.reported_by == actor)
            .order_by(Report.id.desc())
        )
    ]
    uses = [
        Used(asset_id, name_en, name_cy, status == "published")
        for asset_id, name_en, name_cy, status in session.execute(
            select(Asset.id, Asset.name_en, Asset.name_cy, Asset.status)
            .join(AssetUse, AssetUse.asset_id == Asset.id)
            .where(AssetUse.user_id == user.id)
            .order_by(AssetUse.created_at.desc())
        )
    ]
    introductions = [
        IntroductionAsked(*row)
        for row in session.execute(
            select(
                Introduction.id,
                Introduction.theme_code,
                Introduction.status,
                Introduction.created_at,
            )
            .where(Introduction.requester_id == user.id)
            .order_by(Introduction.id.desc())
        )
    ]
    return Contributions(
        suggestions=suggestions,
        reports=reports,
        uses=uses,
        offers=offers.offers_of(session, user.id),
        gaps=gaps.gaps_of(session, user.id),
        introductions=introductions,
    )
