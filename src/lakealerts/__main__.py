"""``python -m lakealerts`` runs the CLI."""

from lakealerts.cli.app import main

main()
