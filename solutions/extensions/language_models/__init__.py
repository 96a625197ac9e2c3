"""Extension: counting language models (character and word bigrams, BPE, n-grams) and how far they stand from the best loss possible."""
