"""Phase 3: a Transformer block (embeddings, positional encoding, layer norm, feed-forward, the block)."""
