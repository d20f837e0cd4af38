"""Command-line interface: `main.py` wires the parser; one module per subcommand."""
