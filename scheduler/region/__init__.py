"""A region's syncs on Procrastinate workers: periodic plans, one job per institution, host budgets."""
