"""The Teams app package: manifest template, icons, the command list and the builder that zips them. Imports core, settings and bot."""
