"""The composition root's parts (app.py wires them): one module per long-lived part, each an aiohttp cleanup context. Imports any package."""
