"""The CIFAR-10 engine: data, recipes, models, training loop."""
