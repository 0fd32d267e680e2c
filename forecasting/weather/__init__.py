"""Future weather: the one place weather paths are built, for backtests, training and serving."""
