/**
 * Capabilities (include/uapi/linux/capability.h, securebits.h, prctl.h's
 * capability options). A set of capabilities is a number holding bits
 * 0..CAP_LAST_CAP (41 bits: exact in a double); the helpers below combine
 * them without 32-bit bitwise truncation.
 */
export const CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2, CAP_FOWNER = 3, CAP_FSETID = 4,
  CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7, CAP_SETPCAP = 8, CAP_LINUX_IMMUTABLE = 9,
  CAP_NET_BIND_SERVICE = 10, CAP_NET_BROADCAST = 11, CAP_NET_ADMIN = 12, CAP_NET_RAW = 13, CAP_IPC_LOCK = 14,
  CAP_IPC_OWNER = 15, CAP_SYS_MODULE = 16, CAP_SYS_RAWIO = 17, CAP_SYS_CHROOT = 18, CAP_SYS_PTRACE = 19,
  CAP_SYS_PACCT = 20, CAP_SYS_ADMIN = 21, CAP_SYS_BOOT = 22, CAP_SYS_NICE = 23, CAP_SYS_RESOURCE = 24,
  CAP_SYS_TIME = 25, CAP_SYS_TTY_CONFIG = 26, CAP_MKNOD = 27, CAP_LEASE = 28, CAP_AUDIT_WRITE = 29,
  CAP_AUDIT_CONTROL = 30, CAP_SETFCAP = 31, CAP_MAC_OVERRIDE = 32, CAP_MAC_ADMIN = 33, CAP_SYSLOG = 34,
  CAP_WAKE_ALARM = 35, CAP_BLOCK_SUSPEND = 36, CAP_AUDIT_READ = 37, CAP_PERFMON = 38, CAP_BPF = 39,
  CAP_CHECKPOINT_RESTORE = 40;
export const CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;

/** Names as container configurations (OCI's process.capabilities) and capsh spell them, by number; immutable */
export const CAP_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** A set of capabilities: bit n is capability n. */
export type CapSet = number;
const TWO32 = 0x100000000;
/** CAP_FULL_SET: every capability */
export const CAP_FULL_SET: CapSet = 2 ** (CAP_LAST_CAP + 1) - 1;

const lo = (s: CapSet): number => s % TWO32;
const hi = (s: CapSet): number => Math.floor(s / TWO32);
const join = (l: number, h: number): CapSet => (h >>> 0) * TWO32 + (l >>> 0);
export const capValid = (cap: number): boolean => Number.isInteger(cap) && cap >= 0 && cap <= CAP_LAST_CAP;
export const capRaised = (s: CapSet, cap: number): boolean =>
  ((cap < 32 ? lo(s) >>> cap : hi(s) >>> (cap - 32)) & 1) === 1;
export const capAnd = (a: CapSet, b: CapSet): CapSet => join(lo(a) & lo(b), hi(a) & hi(b));
export const capOr = (a: CapSet, b: CapSet): CapSet => join(lo(a) | lo(b), hi(a) | hi(b));
/** the capabilities of the full set not in s */
export const capNot = (s: CapSet): CapSet => join(~lo(s) & lo(CAP_FULL_SET), ~hi(s) & hi(CAP_FULL_SET));
export const capSubset = (a: CapSet, b: CapSet): boolean => capAnd(a, capNot(b)) === 0;
export const capRaise = (s: CapSet, cap: number): CapSet => capOr(s, capOf([cap]));
export const capDrop = (s: CapSet, cap: number): CapSet => capAnd(s, capNot(capOf([cap])));
/** the set of the given capabilities */
export function capOf(caps: readonly number[]): CapSet {
  let l = 0, h = 0;
  for (const c of caps) {
    if (c < 32) l |= 1 << c;
    else h |= 1 << (c - 32);
  }
  return join(l, h);
}
/** The capabilities a file-system uid of 0 brings (CAP_FS_MASK): chown, DAC, fowner, fsetid, immutable, mknod, MAC
 * (after the helpers: module code runs in order) */
export const CAP_FS_MASK: CapSet = capOf([CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
  CAP_LINUX_IMMUTABLE, CAP_MKNOD, CAP_MAC_OVERRIDE]);
/** the two 32-bit words of a set (struct __user_cap_data_struct's order: low first) */
export const capWords = (s: CapSet): [number, number] => [lo(s), hi(s)];
export const capFromWords = (l: number, h: number): CapSet => capAnd(join(l, h), CAP_FULL_SET);

/** capget/capset header versions; _LINUX_CAPABILITY_VERSION_3 is the one the kernel names back */
export const LINUX_CAPABILITY_VERSION_1 = 0x19980330, LINUX_CAPABILITY_VERSION_2 = 0x20071026,
  LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** securebits (include/uapi/linux/securebits.h): each setting bit has its lock bit just above */
export const SECBIT_NOROOT = 1 << 0, SECBIT_NO_SETUID_FIXUP = 1 << 2, SECBIT_KEEP_CAPS = 1 << 4,
  SECBIT_KEEP_CAPS_LOCKED = 1 << 5, SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6, SECBIT_EXEC_RESTRICT_FILE = 1 << 8,
  SECBIT_EXEC_DENY_INTERACTIVE = 1 << 10;
export const SECURE_ALL_BITS = SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE |
  SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_DENY_INTERACTIVE;
export const SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;
/** bits any process may set on itself (hints to user space, not kernel restrictions) */
export const SECURE_ALL_UNPRIVILEGED = SECBIT_EXEC_RESTRICT_FILE | SECBIT_EXEC_DENY_INTERACTIVE;

/** prctl's capability options */
export const PR_GET_KEEPCAPS = 7, PR_SET_KEEPCAPS = 8, PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24,
  PR_GET_SECUREBITS = 27, PR_SET_SECUREBITS = 28, PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_IS_SET = 1, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_LOWER = 3, PR_CAP_AMBIENT_CLEAR_ALL = 4;
