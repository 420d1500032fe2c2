"""The Bot Framework edge: activities in, commands and card actions out to core, cards back. Imports core, cards and settings."""
