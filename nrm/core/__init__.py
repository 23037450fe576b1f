"""The pure core: plain Python, no Flask, no database, no clock of its own."""
