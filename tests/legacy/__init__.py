"""nova-sgfix against the real trees, Grizzly to Mitaka (Python 2.7).

Run by ``tools/check-legacy-nova.sh``, not by the unit or functional test
runners: these modules need a 2013-2016 nova tree on ``sys.path`` and root
for a network namespace. Nothing here imports nova at import time.
"""

import ssl
import sys

# Juno's nova.openstack.common.sslutils maps "sslv3" to ssl.PROTOCOL_SSLv3
# when it is imported; a Python 2.7.18 built against OpenSSL 3 has no SSLv3.
# Nothing in the check opens a TLS connection. This must come before
# tests.functional, which imports nova. Python 3 runners that merely
# discover this package are left alone.
if sys.version_info[0] == 2 and not hasattr(ssl, 'PROTOCOL_SSLv3'):
    ssl.PROTOCOL_SSLv3 = ssl.PROTOCOL_SSLv23
