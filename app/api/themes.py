"""/api/v1/themes: the taxonomy."""

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.http.access import PUBLIC
from app.http.deps import SessionDep
from app.http.responses import JSONBody
from app.services.assets.themes import list_themes

# Needs and published assets are public: co-production means everybody sees the same picture.
router = APIRouter(prefix="/api/v1/themes", tags=["themes"], dependencies=[Depends(PUBLIC)])


class ThemeRead(BaseModel):
    """A theme: stable code and its English and Welsh labels."""

    code: str
    label_en: str
    label_cy: str


class ThemeList(BaseModel):
    """All active themes."""

    items: list[ThemeRead]


@router.get("", response_model=ThemeList, summary="Themes taxonomy")
def themes(session: SessionDep) -> Any:
    """Every active theme, in taxonomy order."""
    items = [
        {"code": t.code, "label_en": t.label_en, "label_cy": t.label_cy}
        for t in list_themes(session)
    ]
    return JSONBody({"items": items})
