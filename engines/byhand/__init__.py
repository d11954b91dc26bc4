"""The by-hand lessons: gradient descent, backprop and its graph, optimizers, zero_grad."""
