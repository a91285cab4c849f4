"""python -m agent: the pantau CLI."""

from agent.cli import main

main()
