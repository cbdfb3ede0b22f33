"""Telling users: notices written with the change they tell of, the inbox, e-mail."""
