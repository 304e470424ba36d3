"""`python -m tenantlab.cli`: the same command, for environments without the console script."""

from tenantlab.cli import main

main()
