"""The intercommunality's side of the groupements d'achats, in the public schema: groupements, articles, members and
the summary of every commune's answer."""
