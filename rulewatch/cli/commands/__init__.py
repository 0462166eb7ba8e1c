"""The commands, one small class each, grouped by what they do: checking, reading, sending, keeping."""
