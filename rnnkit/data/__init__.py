"""Data utilities: padding and (with the IMDB task) tokenization and datasets."""
