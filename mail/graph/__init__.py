"""Microsoft Graph as a mail source (msgraph-sdk): inventory, subscriptions, delta, mover. Imports core and mail."""
