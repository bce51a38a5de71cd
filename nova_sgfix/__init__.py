"""nova-sgfix: a security-group filter on every libvirt guest start.

OpenStack Security Note OSSN-0022 (Launchpad bug 1316822).
"""
