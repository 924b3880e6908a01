"""ЭлЖур (apiv3) connector: httpx client, wire models, a whole-school pull."""
