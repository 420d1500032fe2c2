"""The Teams app package: manifest template, icons, the command list and the builder that zips them."""
