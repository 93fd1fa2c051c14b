"""The product's database backend: django-tenants' PostgreSQL backend, which keeps a pooled connection's search path."""
