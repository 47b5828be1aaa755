"""One module per Task state of the ASL; the module name is the snake_case of the state name."""
