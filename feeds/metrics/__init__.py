"""Contact-centre metrics: the formulas, and the aggregator that turns raw events into queue
statistics."""
