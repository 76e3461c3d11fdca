"""The only layer that speaks SQL: schema, queries grouped by aggregate, the claim query."""
