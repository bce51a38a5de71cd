"""Stand-ins for the edge of the firewall driver: records what is asked."""

from __future__ import absolute_import


class FakeTable(object):
    def __init__(self):
        self.dirty = False


class FakeIptables(object):
    def __init__(self):
        self.ipv4 = {'filter': FakeTable(), 'nat': FakeTable()}
        self.ipv6 = {'filter': FakeTable()}
        self.iptables_apply_deferred = False
        self.applies = []
        self.writes = 0
        self.fail = None

    def apply(self):
        self.applies.append(self.iptables_apply_deferred)
        if not self.iptables_apply_deferred:
            self._apply()

    def _apply(self):
        """nova's locked writer: one iptables-restore."""
        if self.fail:
            raise self.fail
        self.writes += 1


class FakeFirewall(object):
    """Havana-and-later shape: ``instance_info[id] = (instance, nw_info)``."""

    def __init__(self):
        self.iptables = FakeIptables()
        self.instance_info = {}
        self.calls = []
        self.fail_on = None

    def _call(self, name, *args):
        self.calls.append(name)
        if self.fail_on == name:
            raise RuntimeError('%s failed: iptables-restore: line 2 failed'
                               % name)

    def setup_basic_filtering(self, instance, network_info):
        self._call('setup_basic_filtering')

    def prepare_instance_filter(self, instance, network_info):
        self._call('prepare_instance_filter')
        self.instance_info[instance['id']] = (instance, network_info)
        self.iptables.apply()

    def refresh_instance_security_rules(self, instance):
        self._call('refresh_instance_security_rules')
        self.iptables.apply()

    def filter_defer_apply_on(self):
        self.iptables.iptables_apply_deferred = True

    def filter_defer_apply_off(self):
        self.iptables.iptables_apply_deferred = False
        self.iptables.apply()


def instance(number=1, network_info=None):
    return {'id': number, 'uuid': '00000000-0000-0000-0000-%012d' % number,
            'info_cache': {'network_info': network_info or []}}
