"""The CIFAR-10 engine: recipes, parameters, data, models, training loop, lesson values."""
