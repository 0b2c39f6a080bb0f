"""A breathing exercise for EmpathyEar: a support tool offered on anxious turns (see the README)."""

from __future__ import annotations

from typing import Any

from empathyear_breathing.tool import BreathingExercise

__all__ = ["BreathingExercise", "create"]


def create(settings: Any) -> BreathingExercise:
    """The entry point EmpathyEar calls; the exercise needs nothing from its settings."""
    return BreathingExercise()
