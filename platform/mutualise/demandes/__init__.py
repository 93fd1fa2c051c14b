"""Service requests (*demandes*) from communes to the intercommunality's services, shared by every service."""
