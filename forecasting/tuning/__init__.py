"""Hyperparameter tuning: an Optuna study (study), its config (config), shared storage
(storage) and the best trial as a config to train (best)."""
