"""Prefect flows: thin wiring of the cycle's stages into tasks, flows and deployments."""
