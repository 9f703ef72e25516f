"""The plant as data: typed models, SL vectors, YAML loading with positions, JSON Schema (design §2, §3)."""
