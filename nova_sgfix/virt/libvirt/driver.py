"""nova's libvirt driver with a security-group filter on every guest start.

Each override below guards one libvirt path that starts or resumes a guest
without going through ``_create_domain_and_network`` (OSSN-0022, Launchpad
bug 1316822): it establishes the instance's filter first and does not start
the guest if that fails. Everything else is nova's own driver, unchanged.
"""

from __future__ import absolute_import

from nova.compute import power_state
from nova.virt.libvirt import driver as nova_driver

from nova_sgfix import chain_removal
from nova_sgfix import compat
from nova_sgfix import conf
from nova_sgfix import exception
from nova_sgfix import filtering
from nova_sgfix import firewall_hooks
from nova_sgfix import resync

CONF = compat.cfg.CONF
conf.register_opts(CONF)
LOG = compat.get_logger(__name__)


class LibvirtDriver(nova_driver.LibvirtDriver):
    """Drop-in for ``nova.virt.libvirt.driver.LibvirtDriver``."""

    def __init__(self, virtapi, read_only=False):
        if not compat.has_firewall_driver():
            raise exception.FirewallDriverUnavailable(compat.nova_version())
        super(LibvirtDriver, self).__init__(virtapi, read_only)
        self._sgfix_said_inactive = False
        self._sgfix_guard = filtering.FilterGuard(self.firewall_driver)
        self._sgfix_resync = resync.StartupResync(
            self._sgfix_guard, resync.domain_lookup_for(self))
        self._sgfix_hooks = firewall_hooks.FirewallHooks(
            self.firewall_driver, self._sgfix_resync.claim,
            self._sgfix_resync.unclaim,
            lambda instance_id: self._sgfix_resync.reap([instance_id]),
            self._sgfix_resync.registered_moments_ago)
        if self._sgfix_active():
            chain_removal.install_on_manager(self.firewall_driver.iptables,
                                             compat.iptables_binary_name)
            self._sgfix_hooks.install()

    def _sgfix_active(self):
        if not CONF.sgfix.enabled:
            return False
        if compat.keeps_iptables_filters(self.firewall_driver):
            return True
        if not self._sgfix_said_inactive:
            LOG.debug('nova-sgfix does nothing: firewall driver %s keeps no '
                      'iptables filters (Neutron enforces security groups)',
                      type(self.firewall_driver).__name__)
            self._sgfix_said_inactive = True
        return False

    def _sgfix_ensure(self, instance, network_info, operation):
        if network_info is None:
            network_info = self._sgfix_guard.network_info_for(instance,
                                                              operation)
        self._sgfix_guard.ensure_instance_filtered(instance, network_info,
                                                   operation)
        return network_info

    def _sgfix_guest_state(self, instance):
        # Unknown (None) leaves the decision to nova's own code path.
        try:
            return compat.power_state_of(self, instance)
        except Exception as exc:
            LOG.debug('Could not read the guest\'s power state: %s',
                      filtering.describe(exc), instance=instance)
            return None

    # --- start-up resync -------------------------------------------------

    def init_host(self, host):
        super(LibvirtDriver, self).init_host(host)
        if self._sgfix_active() and CONF.sgfix.resync_on_start:
            self._sgfix_resync.begin()

    def plug_vifs(self, instance, network_info):
        super(LibvirtDriver, self).plug_vifs(instance, network_info)
        self._sgfix_resync.restore(instance, network_info)

    def filter_defer_apply_off(self):
        # While the kernel's rules cannot be read the applies stay deferred:
        # a write now would drop the chains of guests nova has not reached.
        if self._sgfix_resync.finish():
            super(LibvirtDriver, self).filter_defer_apply_off()

    def get_available_resource(self, nodename):
        # First called by the compute manager's pre_start_hook, after every
        # instance went through _init_instance: the resync batch is complete.
        # Later calls (the periodic resource update) let kept chains go once
        # their guests stopped running.
        self._sgfix_resync.finish()
        self._sgfix_resync.reap()
        return super(LibvirtDriver, self).get_available_resource(nodename)

    def _create_domain(self, *args, **kwargs):
        if self._sgfix_active():
            self._sgfix_guard.apply_pending(
                compat.create_domain_instance(
                    nova_driver.LibvirtDriver._create_domain, args, kwargs),
                'start a guest')
        return super(LibvirtDriver, self)._create_domain(*args, **kwargs)

    # --- guarded paths ---------------------------------------------------

    def reboot(self, context, instance, network_info, reboot_type='SOFT',
               block_device_info=None, bad_volumes_callback=None, **kwargs):
        if reboot_type != 'SOFT' or not self._sgfix_active():
            return super(LibvirtDriver, self).reboot(
                context, instance, network_info, reboot_type,
                block_device_info, bad_volumes_callback, **kwargs)
        # Filter first: a failure then leaves the guest as it was (the
        # hard-reboot path would undefine the domain before its own filter
        # step, and a running guest is not shut down).
        network_info = self._sgfix_ensure(instance, network_info,
                                          'soft reboot')
        state = self._sgfix_guest_state(instance)
        if state is not None and state != power_state.RUNNING:
            LOG.info('Soft reboot of a guest that is not running: starting '
                     'it through the hard-reboot path, which re-establishes '
                     'networking and does not wait for a guest shutdown '
                     '(OSSN-0022)', instance=instance)
            # The filter just established is what the hard-reboot path
            # would tear down and rebuild: it is kept as it is.
            with self._sgfix_hooks.keeping_filter_of(instance):
                return self._hard_reboot(context, instance, network_info,
                                         block_device_info)
        result = super(LibvirtDriver, self).reboot(
            context, instance, network_info, reboot_type, block_device_info,
            bad_volumes_callback, **kwargs)
        self.firewall_driver.apply_instance_filter(instance, network_info)
        return result

    def unpause(self, instance, *args, **kwargs):
        if self._sgfix_active():
            self._sgfix_ensure(instance, None, 'unpause')
        return super(LibvirtDriver, self).unpause(instance, *args, **kwargs)

    def rescue(self, context, instance, network_info, *args, **kwargs):
        if self._sgfix_active():
            network_info = self._sgfix_ensure(instance, network_info,
                                              'rescue')
        return super(LibvirtDriver, self).rescue(
            context, instance, network_info, *args, **kwargs)

    def unrescue(self, instance, network_info, *args, **kwargs):
        if self._sgfix_active():
            network_info = self._sgfix_ensure(instance, network_info,
                                              'unrescue')
        return super(LibvirtDriver, self).unrescue(
            instance, network_info, *args, **kwargs)

    def snapshot(self, context, instance, *args, **kwargs):
        # A cold snapshot saves a running or paused guest and starts it again
        # with _create_domain, outside the filtered path.
        if (self._sgfix_active() and self._sgfix_guest_state(instance) in
                (power_state.RUNNING, power_state.PAUSED)):
            self._sgfix_ensure(instance, None, 'snapshot')
        return super(LibvirtDriver, self).snapshot(context, instance, *args,
                                                   **kwargs)

    def attach_interface(self, *args, **kwargs):
        # nova gives the new interface an nwfilter but no jump into the
        # instance chain; filter all addresses before the device goes live.
        if self._sgfix_active():
            instance, new_vifs = compat.attach_interface_args(
                nova_driver.LibvirtDriver.attach_interface, args, kwargs)
            operation = 'attach an interface to'
            try:
                known = self._sgfix_guard.network_info_for(instance,
                                                           operation)
            except exception.NetworkInfoUnavailable:
                known = []
            self._sgfix_ensure(instance,
                               compat.merge_network_info(known, new_vifs),
                               operation)
        return super(LibvirtDriver, self).attach_interface(*args, **kwargs)

    def refresh_instance_security_rules(self, instance):
        # Stock raises KeyError for an instance the firewall driver has not
        # seen (e.g. a stopped one after a restart).
        if (self._sgfix_active() and
                not compat.firewall_knows(self.firewall_driver, instance)):
            self._sgfix_ensure(instance, None,
                               'refresh the security group rules of')
            return
        return super(LibvirtDriver, self).refresh_instance_security_rules(
            instance)
