"""tenantlab."""
