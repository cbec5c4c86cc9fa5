"""An empty module: the floor of any import."""
