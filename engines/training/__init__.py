"""Training infrastructure shared by the dataset engines: the trainer base, checkpoints, figures, health, distributed launch."""
