"""People who offer skills and time: consent, public squares, published counts, erasure and
introductions."""
