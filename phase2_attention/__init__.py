"""Phase 2: scaled dot-product attention (loops, then vectorised), masks, multi-head attention, gradient checks."""
