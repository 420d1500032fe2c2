"""The Azure Cosmos DB store (azure-cosmos aio): documents, uniqueness claims, leases, calls. Imports core and storage."""
