"""The application layer: the composition root (context) and one use case per operation."""
