"""Graph mail source (msgraph-sdk, $batch on aiohttp): inventory, subscriptions, delta, mover. Imports core and mail."""
