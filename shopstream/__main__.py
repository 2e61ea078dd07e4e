"""`python -m shopstream` is the `shopstream` command."""

from shopstream.cli import main

main()
