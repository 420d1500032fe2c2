"""Benchmarks: RootMail's figures as multiples of the least work for the same job, measured in the same process and run."""
