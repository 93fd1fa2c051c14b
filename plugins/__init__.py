"""The built-in service plugins, one package per shared service."""
