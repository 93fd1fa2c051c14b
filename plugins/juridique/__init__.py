"""Assistance juridique: legal consultations, litigation follow-up and legal watch for the communes."""
