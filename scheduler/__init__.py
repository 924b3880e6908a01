"""When syncs, checks and exports run: APScheduler 3.11 over the store's own database."""
