"""nova-sgfix against the real Grizzly and Havana trees (Python 2.7).

Run by ``tools/check-legacy-nova.sh``, not by the unit or functional test
runners: these modules need a 2013 nova tree on ``sys.path`` and root for a
network namespace. Nothing here imports nova at import time.
"""
