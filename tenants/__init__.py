"""Communes as tenants: one PostgreSQL schema each, their domains, and their subscriptions to services."""
