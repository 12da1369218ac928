"""Built-in pipeline components; importing this package registers their factories."""
