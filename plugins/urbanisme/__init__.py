"""Ingénierie urbanisme: the communes' planning procedures (PLU, carte communale) and regulatory watch."""
