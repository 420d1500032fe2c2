"""The address registry: allocate, link, retire, transfer, who may, and the pool that feeds it. Imports core."""
