"""The avatar's expression for each of the 32 emotions, as facial action parameters.

Each parameter is a displacement from the neutral face, roughly -1..1, after the facial action
units it stands for: brow_inner (AU1, inner brow raiser), brow_outer (AU2), brow_lower (AU4, brows
lowered and drawn together), lid_open (AU5 upper lid raiser; negative droops), squint (AU7 lower
lid tightener, with AU6 cheek raise in a smile), cheek (AU6), corners (AU12 lip corner puller up,
AU15 depressor down), width (AU20 lip stretcher), jaw (AU26, a resting jaw drop), press (AU24), and
head pitch in degrees (positive looks down). Rows are the prototypical displays of the emotion
research literature (Ekman and Friesen's FACS), softened for a companion who mirrors a feeling
rather than acts it: joy is a Duchenne smile (cheeks up, eyes narrowed, corners up), sadness raises
the inner brows and pulls the corners down, fear raises and draws in the brows and widens the eyes,
anger lowers the brows and presses the lips, surprise raises every brow and drops the jaw.

Intensity comes from the emotion's confidence: 40% of the row at confidence 0, all of it at 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class FacialActions:
    brow_inner: float = 0.0
    brow_outer: float = 0.0
    brow_lower: float = 0.0
    lid_open: float = 0.0
    squint: float = 0.0
    cheek: float = 0.0
    corners: float = 0.0
    width: float = 0.0
    jaw: float = 0.0
    press: float = 0.0
    pitch: float = 0.0

    def scaled(self, k: float) -> FacialActions:
        return FacialActions(**{f.name: round(getattr(self, f.name) * k, 3) for f in fields(self)})


NEUTRAL = FacialActions()
A = FacialActions
TABLE: dict[str, FacialActions] = {
    # joy: a Duchenne smile, stronger with excitement
    "joyful": A(brow_outer=0.2, squint=0.5, cheek=0.9, corners=1.0, width=0.5, jaw=0.4),
    "excited": A(brow_inner=0.3, brow_outer=0.5, lid_open=0.2, cheek=0.9, corners=1.0, width=0.6, jaw=0.5),
    "content": A(squint=0.3, cheek=0.4, corners=0.5, width=0.2),
    "grateful": A(brow_inner=0.2, squint=0.3, cheek=0.5, corners=0.6, width=0.2, pitch=2),
    "hopeful": A(brow_inner=0.3, brow_outer=0.2, cheek=0.3, corners=0.4, width=0.1),
    "impressed": A(brow_inner=0.4, brow_outer=0.5, lid_open=0.3, cheek=0.3, corners=0.4, jaw=0.1),
    "surprised": A(brow_inner=0.8, brow_outer=0.9, lid_open=0.8, corners=0.1, jaw=0.45),
    "anticipating": A(brow_outer=0.3, lid_open=0.3, cheek=0.3, corners=0.4, width=0.2),
    # pride: a composed smile, head level
    "proud": A(brow_outer=0.1, squint=0.3, cheek=0.5, corners=0.6, width=0.3, press=0.1, pitch=-2),
    "confident": A(squint=0.2, cheek=0.3, corners=0.4, width=0.2, press=0.2, pitch=-1),
    "prepared": A(brow_lower=0.1, cheek=0.2, corners=0.3, press=0.3),
    # warmth: soft smiles
    "caring": A(brow_inner=0.4, squint=0.2, cheek=0.3, corners=0.35, pitch=3),
    "trusting": A(squint=0.2, cheek=0.3, corners=0.4),
    "faithful": A(brow_inner=0.2, squint=0.2, cheek=0.2, corners=0.3),
    "sentimental": A(brow_inner=0.5, squint=0.2, cheek=0.2, corners=0.2, pitch=3),
    "nostalgic": A(brow_inner=0.4, lid_open=-0.2, cheek=0.2, corners=0.2, pitch=2),
    # sadness: inner brows up, corners down, lids heavy
    "sad": A(brow_inner=0.8, brow_lower=0.2, lid_open=-0.35, corners=-0.7, press=0.1, pitch=4),
    "devastated": A(brow_inner=1.0, brow_lower=0.35, lid_open=-0.5, corners=-1.0, width=0.2, pitch=6),
    "lonely": A(brow_inner=0.7, lid_open=-0.3, corners=-0.5, pitch=4),
    "disappointed": A(brow_inner=0.5, brow_lower=0.2, lid_open=-0.25, corners=-0.5, press=0.3, pitch=3),
    "guilty": A(brow_inner=0.6, brow_lower=0.2, lid_open=-0.3, corners=-0.4, press=0.3, pitch=6),
    "ashamed": A(brow_inner=0.6, brow_lower=0.2, lid_open=-0.45, corners=-0.4, press=0.3, pitch=8),
    "embarrassed": A(brow_inner=0.4, lid_open=-0.2, squint=0.2, cheek=0.3, corners=0.15, press=0.3, pitch=5),
    # fear: brows raised and drawn together, eyes wide, lips stretched
    "afraid": A(
        brow_inner=0.8, brow_outer=0.4, brow_lower=0.3, lid_open=0.6, corners=-0.3, width=0.5, jaw=0.15
    ),
    "terrified": A(
        brow_inner=1.0, brow_outer=0.6, brow_lower=0.4, lid_open=0.9, corners=-0.4, width=0.8, jaw=0.35
    ),
    "anxious": A(brow_inner=0.7, brow_lower=0.3, lid_open=0.2, corners=-0.3, width=0.3, press=0.2),
    "apprehensive": A(brow_inner=0.5, brow_lower=0.3, lid_open=0.1, corners=-0.2, width=0.2, press=0.2),
    # anger: brows down and together, lids tight, lips pressed
    "angry": A(brow_lower=0.9, lid_open=0.2, squint=0.4, corners=-0.3, press=0.7, pitch=-2),
    "furious": A(brow_lower=1.0, lid_open=0.3, squint=0.5, corners=-0.4, width=0.3, press=0.9, pitch=-3),
    "annoyed": A(brow_lower=0.6, squint=0.3, corners=-0.2, press=0.5),
    "jealous": A(brow_lower=0.5, lid_open=-0.2, squint=0.3, corners=-0.3, press=0.4, pitch=-1),
    "disgusted": A(brow_lower=0.7, squint=0.6, cheek=0.3, corners=-0.5, width=0.2, press=0.3),
}


def expression_for(emotion: str, confidence: float = 1.0) -> FacialActions:
    """The expression for an emotion read with `confidence`; neutral for an unknown label."""
    row = TABLE.get(emotion, NEUTRAL)
    return row.scaled(0.4 + 0.6 * min(max(confidence, 0.0), 1.0))
