"""Opérations d'aménagement: the communes' building and infrastructure projects, from studies to handover."""
