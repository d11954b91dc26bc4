"""The MNIST / Fashion-MNIST engine: data, models, training loop, inference, lesson values."""
