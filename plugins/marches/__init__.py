"""Assistance marchés publics: preparation, award and follow-up of the communes' public procurement."""
