"""The REST API for automation (account-vending pipelines): an edge like bot/, on core only."""
