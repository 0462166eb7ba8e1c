"""rulewatch: monitor regulators and the press for changes to IT procurement and cybersecurity rules."""

__version__ = "0.1.0"
