"""Answers: question → retrieval → LLM → verification → Answer with citations."""
