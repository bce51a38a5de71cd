"""nova-sgfix: security-group filters on every libvirt path that starts a guest.

OpenStack Security Note OSSN-0022 (Launchpad bug 1316822).
"""
