"""The sizes the generalisation lesson's runs start from, in one place.

The engines take their defaults from here and the lesson's value table quotes them, so
the text and the runs cannot drift apart. No torch here.
"""

from __future__ import annotations

HIDDEN = 128  # the MNIST lesson's MLP, 784-128-10

# Overfitting: few images, many epochs; the validation images for early stopping are
# training images outside the subset (the test set decides nothing).
OVERFIT_SUBSET = 500
OVERFIT_EPOCHS = 100
OVERFIT_BATCH = 50
OVERFIT_LR = 0.001
VALIDATION_IMAGES = 1000
SHIFT_PIXELS = 2  # augmentation: random shifts of up to this many pixels each way

# Symmetry: a narrow MLP whose hidden units can be shown side by side.
SYMMETRY_HIDDEN = 16
SYMMETRY_EQUAL_WEIGHT = 0.01

# Transfer: pretrain on the first half of the classes, learn the second half from few labels.
PRETRAIN_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
LABELS_PER_CLASS = (10, 50, 200)

# Scale: hidden widths of 784-w-10 at a fixed number of images, and images at a fixed width.
SCALE_WIDTHS = (2, 4, 8, 16, 32, 64, 128)
SCALE_IMAGES = 60000  # the width sweep trains on all 60,000 training images (8,000 gave a noisy curve)
SCALE_SIZES = (250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 60000)
SCALE_WIDTH = 128  # the width of the data sweep
SCALE_EPOCHS = 10

# Compression: the share of weights pruned (smallest magnitudes first).
SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98)

# Published power-law exponents of language-model test loss (Kaplan et al., 2020,
# "Scaling Laws for Neural Language Models"): L ∝ N^−0.076 in parameters, D^−0.095 in tokens.
KAPLAN_ALPHA_N = 0.076
KAPLAN_ALPHA_D = 0.095
