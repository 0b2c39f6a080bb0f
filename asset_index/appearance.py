"""What a face in the library looks like: its catalogue entry's appearance, the words the renderer
draws from (tools.face)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

HairStyle = Literal[
    "short", "side-part", "buzz", "bald", "bob", "long", "curly", "afro", "bun", "pixie", "waves"
]
Feature = Literal["freckles", "stubble", "beard", "moustache", "wrinkles", "blush", "earrings", "lashes"]
Neckline = Literal["crew", "v-neck", "collar"]


class Appearance(BaseModel):
    skin: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    hair: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    hair_style: HairStyle
    eyes: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    lips: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    face_width: float = Field(1.0, ge=0.85, le=1.15)
    jaw: float = Field(0.5, ge=0.0, le=1.0)  # 0 round, 1 square
    nose: Literal["small", "straight", "broad"] = "straight"
    brows: float = Field(1.0, ge=0.5, le=1.6)  # thickness
    features: list[Feature] = []
    clothing: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")
    neckline: Neckline = "crew"
    background: tuple[str, str]
