"""Pages and APIs."""
