"""`python -m dashboard.cli`: the `floorboard` command."""

from dashboard.cli.main import main

main()
