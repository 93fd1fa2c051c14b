"""Groupements d'achats: the joint purchasing groups (groupements de commandes) the communes take part in."""
