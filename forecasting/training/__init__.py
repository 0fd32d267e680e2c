"""The training job and its parts: the experiment config (`config`, `hyperparams`), the config
resolved against the data (`plan`), data and provenance (`provenance`), run logging
(`runlog`), the champion gate (`gate`), the job (`job`), its results (`results`), scheduled
retraining (`retrain`) and the charts (`plots`)."""
