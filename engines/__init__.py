"""Computation for the lab: NumPy and PyTorch engines, devices, data.

Importing this package is cheap and never imports textual (it must run headless, in
CI and under torchrun) nor torch (engines import it inside the functions that need it).
"""
