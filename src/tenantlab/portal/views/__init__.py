"""The admin center's pages, one module per area of the Entra admin center they mirror."""
