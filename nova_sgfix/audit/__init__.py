"""Read-only host audit for OSSN-0022 (Launchpad bug 1316822).

After a nova-compute restart, libvirt paths such as soft reboot, unpause and
rescue can start a guest whose iptables security-group chain is gone, so the
guest is reachable from anywhere. ``nova-sgfix-audit`` finds such guests from
what the host itself shows (libvirt and ``iptables-save``), without nova's
database or services, and reports them the way a Nagios plugin does.

Modules: ``ruleset`` parses ``iptables-save`` output, ``guests`` reads
domain and nwfilter XML, ``check`` gives the verdicts, ``sources`` talks to
libvirt and runs ``iptables-save``, ``cli`` is the command.
"""
