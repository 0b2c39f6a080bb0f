"""Perception of a user's voice and face: decoding uploads, speech recognition, and emotion cues."""
