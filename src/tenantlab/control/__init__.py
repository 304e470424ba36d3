"""The cloud's control routes (`/_tenantlab/faults`, `/_tenantlab/clock`) and their admin token."""
