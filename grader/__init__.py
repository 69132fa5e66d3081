"""autograd-grader: grade PyTorch autograd exercises with torch autograd as the oracle."""

__version__ = "0.1.0"
