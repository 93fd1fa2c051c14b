"""A third-party service plugin, packaged outside Mutualise: proof that the contract is enough."""
