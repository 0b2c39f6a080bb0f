"""Speech synthesis: text made speakable, an emotion's delivery, and one file per backend."""
