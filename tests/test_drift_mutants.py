"""Specifications that the mutation run of the drift service (scripts/mutation drift) showed missing."""
