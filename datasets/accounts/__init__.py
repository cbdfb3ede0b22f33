"""Accounts: users and sign-in, permissions (one predicate per action), credit codes."""
