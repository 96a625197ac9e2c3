"""Phase 1: a multi-layer perceptron trained by backpropagation written by hand (XOR and spirals)."""
