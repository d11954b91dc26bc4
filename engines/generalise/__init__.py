"""The sixth lesson's engines: overfitting and its cures, symmetry, transfer, scale, compression."""
