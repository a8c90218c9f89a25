"""Background work: one loop shape (loop.py), the event sink (events.py), and the set of workers a process runs (run.py)."""
