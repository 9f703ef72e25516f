"""Pure functions over a Plant: checks, risk and SL-T, capability and achieved SL, gaps, paths (design §2)."""
