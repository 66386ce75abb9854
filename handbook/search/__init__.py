"""Finding the entry: Vietnamese text normalisation, the lexicon, reply language, the index, evaluation."""
