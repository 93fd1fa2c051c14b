"""Informatique: IT helpdesk, asset inventory, contracts and renewal plan of the communes."""
