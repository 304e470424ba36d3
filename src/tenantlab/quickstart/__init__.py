"""`tenantlab quickstart`: the daemon quickstart of Microsoft's documentation, end to end, locally.

One process serves the emulated cloud (token service + Graph + admin center) and the ToDo API over
TLS, provisions what the quickstart has a person click through (idempotently), writes ready-to-run
configuration for Microsoft's own samples, and runs the daemon against it all. See
docs/quickstart.md.
"""

from tenantlab.quickstart.configs import Endpoints, SampleConfigs, write_sample_configs
from tenantlab.quickstart.provision import Provisioned, provision
from tenantlab.quickstart.runner import QuickstartOptions, run

__all__ = [
    "Endpoints",
    "Provisioned",
    "QuickstartOptions",
    "SampleConfigs",
    "provision",
    "run",
    "write_sample_configs",
]
