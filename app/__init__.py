"""assetmap: community asset mapping beside service deficits."""
