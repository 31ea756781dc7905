/* Privileged calls the guest's root is refused (EPERM, as under a container's
 * default seccomp profile), and calls Linux itself lacks (ENOSYS). Run only
 * under umlts: natively, as root, some would act on the host. */
#include "common.h"

int main(void) {
  static const struct { const char *name; long nr; } calls[] = {
    {"acct", SYS_acct}, {"reboot", SYS_reboot}, {"swapon", SYS_swapon}, {"swapoff", SYS_swapoff},
    {"iopl", SYS_iopl}, {"ioperm", SYS_ioperm}, {"init_module", SYS_init_module},
    {"finit_module", SYS_finit_module}, {"delete_module", SYS_delete_module}, {"kexec_load", SYS_kexec_load},
    {"mount", SYS_mount}, {"umount2", SYS_umount2}, {"pivot_root", SYS_pivot_root}, {"quotactl", SYS_quotactl},
    {"fsopen", SYS_fsopen}, {"setns", SYS_setns}, {"add_key", SYS_add_key}, {"keyctl", SYS_keyctl},
    {"bpf", SYS_bpf}, {"perf_event_open", SYS_perf_event_open}, {"userfaultfd", SYS_userfaultfd},
    {"fanotify_init", SYS_fanotify_init}, {"vhangup", SYS_vhangup}, {"open_by_handle_at", SYS_open_by_handle_at},
    {"name_to_handle_at", SYS_name_to_handle_at}, {"_sysctl", SYS__sysctl}, {"uselib", SYS_uselib},
    {"create_module", SYS_create_module}, {"modify_ldt", SYS_modify_ldt},
  };
  for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    errno = 0;
    long r = syscall(calls[i].nr, 0, 0, 0, 0, 0, 0);
    say("%s: %ld %s\n", calls[i].name, r, res(r));
  }
  return 0;
}
