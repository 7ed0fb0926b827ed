"""Is the case reviewable? Gap rules, checks, laterality, triage and the one-page summary."""
