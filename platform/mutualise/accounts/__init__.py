"""People: one account per person, in the public schema, logging in by e-mail."""
