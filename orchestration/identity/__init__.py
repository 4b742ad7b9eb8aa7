"""Identity resolution steps written in Python (probabilistic matching with Splink)."""
