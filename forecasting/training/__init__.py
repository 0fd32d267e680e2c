"""The training job and its parts: experiment config, data and provenance, run logging, the
champion gate, scheduled retraining and the charts."""
