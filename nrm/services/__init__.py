"""Use cases that touch the database. Views call these; these call the core, vault and audit."""
