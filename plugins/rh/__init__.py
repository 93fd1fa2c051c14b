"""Assistance RH: training plans, statutory training and health and safety at work of communal agents."""
