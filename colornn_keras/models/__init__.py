"""Model builders: the color model (and, later, the consistency model)."""
