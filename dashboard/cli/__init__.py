"""The `floorboard` command."""
