"""The REST API for automation (account-vending pipelines), an edge like bot/. Imports core and settings."""
