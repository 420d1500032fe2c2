"""AWS accounts RootMail did not create: adopting them, and reconciling with AWS Organizations. Imports core, core.addresses and core.intake."""
