"""Model backends (LLM and embeddings) and the packaged model files behind them."""
