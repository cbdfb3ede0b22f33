"""The row store: public tables as database rows, and the row API's queries."""
