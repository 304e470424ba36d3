"""Drop-in mode: Microsoft's host names served by tenantlab (`tenantlab run`, `tenantlab hosts`)."""
