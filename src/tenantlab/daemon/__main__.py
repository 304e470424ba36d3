"""`python -m tenantlab.daemon --op getUsers ...`"""

from tenantlab.daemon.console import main

raise SystemExit(main(prog="python -m tenantlab.daemon"))
