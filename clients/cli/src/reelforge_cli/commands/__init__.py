"""One module per command group; ``main`` wires them into the ``reelforge`` app."""
