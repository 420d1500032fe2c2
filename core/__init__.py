"""RootMail's domain: records, rules and services. Standard library only."""
