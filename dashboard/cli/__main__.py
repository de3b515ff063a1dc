"""``python -m dashboard.cli``: the ``floorboard`` command."""

from dashboard.cli import main

main()
