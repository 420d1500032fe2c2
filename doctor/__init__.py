"""`doctor`: proves a deployment's wiring against the real endpoints, changing nothing but its own probes. Imports any package."""
