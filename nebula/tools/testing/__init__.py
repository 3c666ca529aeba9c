"""Running tools' XML tests and comparing their outputs as Galaxy does."""
