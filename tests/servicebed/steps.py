"""The bed's REST steps, the same on every release's API.

Mixed into each release's stack (``stack.BedStack`` for Grizzly and Havana,
``functional_stack.BedStack`` for Rocky and Train): everything here goes
through ``self.api``, the REST client of the release's own test framework,
over HTTP to its osapi_compute.
"""

import time

from tests.servicebed import hypervisor


class ApiSteps(object):

    def _create_network(self):
        """One FlatDHCP network on br100, hosted by the bed's network."""
        manager = self.network.manager
        manager.create_networks(
            self.ctxt, label='bed', cidr=hypervisor.FIXED_CIDR,
            multi_host=False, num_networks=1, network_size=256,
            bridge='br100', bridge_interface=None)
        for net in self.networks():
            manager.set_network_host(self.ctxt, net)

    def _create_images(self):
        """The guest's kernel, ramdisk and a 1 MB root disk, as AKI/ARI/AMI.

        They go into the release's fake image service (``image_service()``).
        """
        service = self.image_service()

        def create(name, fmt, path=None, properties=None):
            meta = {'name': name, 'status': 'active', 'is_public': True,
                    'visibility': 'public',
                    'disk_format': fmt, 'container_format': fmt,
                    'properties': properties or {}}
            if path is None:
                return service.create(self.ctxt, meta,
                                      Data(b'\0' * (1024 * 1024)))['id']
            with open(path, 'rb') as data:
                return service.create(self.ctxt, meta, data)['id']

        kernel = create('bed-kernel', 'aki', self.kernel)
        ramdisk = create('bed-ramdisk', 'ari', self.ramdisk)
        return create('bed-guest', 'ami', None,
                      {'kernel_id': kernel, 'ramdisk_id': ramdisk})

    def create_security_group(self, name, port, cidr):
        group = self.api.api_post('/os-security-groups', {
            'security_group': {'name': name, 'description': name}})
        group = _body(group)['security_group']
        self.api.api_post('/os-security-group-rules', {
            'security_group_rule': {
                'parent_group_id': group['id'], 'ip_protocol': 'tcp',
                'from_port': port, 'to_port': port, 'cidr': cidr}})
        return group

    def boot(self, name, group):
        server = self.api.post_server({'server': {
            'name': name, 'imageRef': self.image_id,
            'flavorRef': self.flavor_id,
            'security_groups': [{'name': group}]}})
        return server['id']

    def action(self, server_id, body):
        return self.api.post_server_action(server_id, body)

    def try_action(self, server_id, body):
        """The action; None if the API took it, else its HTTP status."""
        try:
            self.action(server_id, body)
        except Exception as exc:
            response = getattr(exc, 'response', None)
            status = getattr(response, 'status_code',
                             getattr(response, 'status', None))
            if not status or status < 400:
                raise
            return status
        return None

    def wait_status(self, server_id, status, timeout=300):
        deadline = time.time() + timeout
        while True:
            server = self.api.get_server(server_id)
            if server['status'] == status:
                return server
            if server['status'] == 'ERROR' or time.time() > deadline:
                raise AssertionError('server %s is %s, wanted %s' % (
                    server_id, server['status'], status))
            time.sleep(1)

    def fixed_ip(self, server_id):
        addresses = self.api.get_server(server_id)['addresses']
        for ips in addresses.values():
            for ip in ips:
                return ip['addr']

    def delete_while_down(self, server_id):
        """DELETE through the API while nova-compute is stopped.

        The API finds the service down and deletes the instance from the
        database only (``_local_delete``): its domain keeps running. The
        service counts as down once its last heartbeat is older than
        ``service_down_time``, lowered for this call only.
        """
        self.flags(service_down_time=1)
        try:
            time.sleep(2)
            self.delete_and_wait(server_id)
        finally:
            self.flags(service_down_time=60)

    def delete_and_wait(self, server_id):
        self.api.delete_server(server_id)
        deadline = time.time() + 60
        while any(s['id'] == server_id for s in self.api.get_servers()):
            if time.time() > deadline:
                raise AssertionError('server %s was not deleted' % server_id)
            time.sleep(1)

    # --- nova-compute restart -------------------------------------------
    def stop_compute(self):
        self.compute.stop()

    def start_compute(self, fail_init_for=None):
        """A new compute service, same host name, fresh IptablesManager.

        :param fail_init_for: uuid of an instance whose ``_init_instance``
            raises (nova's own method, wrapped; every other instance goes
            through it unchanged), with ``defer_iptables_apply = True``.
            The start then fails as nova's would; returns the order in
            which ``_init_instance`` was entered.
        """
        from nova.compute import manager as compute_manager
        from nova.network import linux_net
        linux_net.iptables_manager = linux_net.IptablesManager()
        host = self.compute.host
        if fail_init_for is None:
            self.compute = self.start_service('compute', host=host)
            return None
        manager = compute_manager.ComputeManager
        original = manager.__dict__['_init_instance']
        entered = []

        def init_instance(self_, context, instance):
            entered.append(instance['uuid'])
            if instance['uuid'] == fail_init_for:
                raise InitFailure('injected: _init_instance of %s raises'
                                  % fail_init_for)
            return original(self_, context, instance)

        manager._init_instance = init_instance
        self.flags(defer_iptables_apply=True)
        try:
            self.start_service('compute', host=host)
        except Exception as exc:
            # fixtures may wrap it (MultipleExceptions, SetupError)
            if 'injected: _init_instance' not in repr(exc):
                raise
        else:
            raise AssertionError('compute started although its '
                                 '_init_instance raised')
        finally:
            manager._init_instance = original
            self.flags(defer_iptables_apply=False)
        return entered

    def restart_compute(self):
        self.stop_compute()
        self.start_compute()


def _body(response):
    """Grizzly's and Havana's client return the body, later ones a response."""
    return getattr(response, 'body', response)


class Data(object):
    """An image's bytes, as the fake image service reads them."""

    def __init__(self, data):
        self.data = data

    def read(self):
        return self.data


class InitFailure(Exception):
    """The fault the bed injects into one ``_init_instance``."""
