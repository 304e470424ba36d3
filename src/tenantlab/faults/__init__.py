"""Faults a cloud injects: `Platform.faults`, `/_tenantlab/faults`, and `tenantlab fault`."""

from tenantlab.faults.registry import ENDPOINTS, Fault, FaultRegistry, InvalidFault

__all__ = ["ENDPOINTS", "Fault", "FaultRegistry", "InvalidFault"]
