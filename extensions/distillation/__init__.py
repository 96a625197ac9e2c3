"""Extension B: knowledge distillation: a small student learns from a larger teacher's soft targets."""
