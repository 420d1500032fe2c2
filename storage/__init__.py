"""Store implementations: SQLite (embedded default) and Azure Cosmos DB. Imports core."""
