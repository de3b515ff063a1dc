"""The wall screen `/wall/<board>`."""
