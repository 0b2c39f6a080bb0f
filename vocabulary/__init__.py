"""The words every layer shares: the emotions and their families, the closed vocabularies of a
meta-response, and what a dialogue is. It imports nothing of the project."""
