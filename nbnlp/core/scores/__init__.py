"""Score functions of the components (each module: the scores of one task, spaCy's names, fractions 0-1)."""
