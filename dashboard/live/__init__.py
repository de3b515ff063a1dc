"""The live push: the hub that follows the bus, and the SSE stream each page opens."""
