"""Security components: keys, vault, passwords, access policy, audit trail."""
