"""Visit plans, notices, on-site checks, conversation logs and evidence (built by the planning issue)."""
