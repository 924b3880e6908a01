"""Pure translation between each platform's wire models and the canonical model."""
