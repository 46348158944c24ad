"""Adapters that plug the environment into trainers: TRL (tool calls) and Gymnasium."""
