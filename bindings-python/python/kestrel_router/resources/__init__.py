"""The client's resources: ``chat.completions``, ``models``, ``usage``."""
