"""The Informatique service's own settings, in the public schema: lifetimes and unit costs per device type."""
