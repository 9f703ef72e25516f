"""Observed network traffic: capture readers, protocol decoders, policy tables and conformance (design §5)."""
