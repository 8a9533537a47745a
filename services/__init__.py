"""Domain services: the only place that changes complaint state, computes deadlines and decides access."""
