"""Parts of ``tools/bench.py``, the benchmark of nova-sgfix against stock nova.

Not a test and not installed with the package. ``meter`` times filter work,
``hosts`` builds the compute hosts, ``scenarios`` runs the operations,
``runner`` repeats them, ``report`` and ``sections`` turn samples into
verdicts, tables and JSON, and ``plotenv`` and ``plot`` draw the PNG in an
environment of their own.
"""
