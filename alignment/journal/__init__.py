"""The practice journal: every session remembered (figures only, never frames), so the two
sides can be compared over weeks. `entries` and `trend` are pure; `store` holds the database."""
