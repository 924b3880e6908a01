"""The policy engine: the rule catalogue, institution profiles and evaluation into violations."""
