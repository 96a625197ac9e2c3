"""Phase 0: math primitives (matmul, softmax, losses, a gradient checker) and linear regression."""
