"""The models layer: assembling the registry models, checking them, and the sentence encoders,
configured through Settings; it imports only the vocabulary and the settings."""
