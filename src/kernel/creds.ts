import {
  CapSet, CAP_FULL_SET, CAP_FS_MASK, capRaised, capAnd, capOr, capNot, capSubset, SECBIT_NO_SETUID_FIXUP, SECBIT_KEEP_CAPS,
  SECBIT_NOROOT, CAP_SYS_PTRACE,
} from '../abi/capability.js';

/** struct cred: a task's identity and capabilities. Every field is owned by its task: each task has its own
 * copy (clone(2) copies it), written only by that task's set*id / setgroups / setfs*id / capset / prctl
 * syscalls and its execve; others (procfs, SIGCHLD's si_uid, capget) only read. */
export class Creds {
  /** capability sets (commoncap.c's pI, pP, pE, the bounding set X, pA); a process of uid 0 starts with them
   * all, as init does; others with none */
  capInheritable: CapSet = 0;
  capPermitted: CapSet;
  capEffective: CapSet;
  capBset: CapSet = CAP_FULL_SET;
  capAmbient: CapSet = 0;
  /** SECBIT_* */
  securebits = 0;
  constructor(
    public uid: number,
    public gid: number,
    public euid = uid,
    public egid = gid,
    public suid = uid,
    public sgid = gid,
    public fsuid = euid,
    public fsgid = egid,
    public groups: number[] = [],
  ) {
    this.capPermitted = this.capEffective = euid === 0 ? CAP_FULL_SET : 0;
  }
  clone(): Creds {
    const c = new Creds(this.uid, this.gid, this.euid, this.egid, this.suid, this.sgid, this.fsuid, this.fsgid, [...this.groups]);
    c.capInheritable = this.capInheritable;
    c.capPermitted = this.capPermitted;
    c.capEffective = this.capEffective;
    c.capBset = this.capBset;
    c.capAmbient = this.capAmbient;
    c.securebits = this.securebits;
    return c;
  }
}

/** capable(): does the task's effective set hold cap? (One user namespace: ns_capable is the same.) */
export function capable(c: Creds, cap: number): boolean {
  return capRaised(c.capEffective, cap);
}

/** The ids a set*id call started from (cap_task_fix_setuid's old cred). */
export interface OldIds {
  readonly uid: number;
  readonly euid: number;
  readonly suid: number;
  readonly fsuid: number;
}
export const oldIds = (c: Creds): OldIds => ({ uid: c.uid, euid: c.euid, suid: c.suid, fsuid: c.fsuid });

/**
 * cap_task_fix_setuid: capabilities follow uid changes (unless
 * SECBIT_NO_SETUID_FIXUP). Leaving uid 0 in all of real, effective and
 * saved clears permitted and effective (unless SECBIT_KEEP_CAPS) and the
 * ambient set; an effective uid leaving 0 clears effective, one becoming 0
 * gets the permitted set back. setfsuid: a file-system uid leaving 0 drops
 * the file-system capabilities from effective, one becoming 0 raises the
 * permitted ones among them.
 */
export function fixSetuid(c: Creds, old: OldIds, fs: boolean): void {
  if (c.securebits & SECBIT_NO_SETUID_FIXUP) return;
  if (fs) {
    if (old.fsuid === 0 && c.fsuid !== 0) c.capEffective = capAnd(c.capEffective, capNot(CAP_FS_MASK));
    if (old.fsuid !== 0 && c.fsuid === 0) c.capEffective = capOr(c.capEffective, capAnd(c.capPermitted, CAP_FS_MASK));
    return;
  }
  if ((old.uid === 0 || old.euid === 0 || old.suid === 0) && c.uid !== 0 && c.euid !== 0 && c.suid !== 0) {
    if (!(c.securebits & SECBIT_KEEP_CAPS)) c.capPermitted = c.capEffective = 0;
    c.capAmbient = 0;
  }
  if (old.euid === 0 && c.euid !== 0) c.capEffective = 0;
  if (old.euid !== 0 && c.euid === 0) c.capEffective = c.capPermitted;
}

/** Capability sets a container runtime gives the first process (the library's `capabilities`); rootOnly:
 * permitted and effective only for a root user. Immutable. */
export interface RuntimeCaps {
  readonly bounding: CapSet;
  readonly permitted: CapSet;
  readonly effective: CapSet;
  readonly inheritable: CapSet;
  readonly ambient: CapSet;
  readonly rootOnly: boolean;
}

/**
 * As a container runtime leaves them: the bounding set dropped, the others
 * set (capset), the ambient ones raised where permitted and inheritable
 * (cap_ambient_invariant_ok); then the runtime's execve of the program:
 * exec's transformation (a root's bounding set becomes permitted).
 */
export function runtimeCaps(c: Creds, caps: RuntimeCaps, noNewPrivs: boolean): void {
  const held = !caps.rootOnly || c.uid === 0;
  c.capBset = caps.bounding;
  c.capPermitted = held ? caps.permitted : 0;
  c.capEffective = held ? capAnd(caps.effective, caps.permitted) : 0;
  c.capInheritable = caps.inheritable;
  c.capAmbient = capAnd(caps.ambient, capAnd(c.capPermitted, c.capInheritable));
  execCaps(c, noNewPrivs);
}

/**
 * cap_bprm_creds_from_file for a file with no capabilities of its own and
 * no set-id bits (umlts honours neither): uid 0 (real or effective, unless
 * SECBIT_NOROOT) gets the bounding set and its inheritable ones permitted,
 * and effective with an effective uid 0; everyone keeps the ambient set,
 * which is permitted and effective too. With no_new_privs the exec gains
 * no permitted capability the caller lacked (LSM_UNSAFE_NO_NEW_PRIVS: the
 * new set is cut down to the old). SECBIT_KEEP_CAPS ends here.
 */
export function execCaps(c: Creds, noNewPrivs: boolean): void {
  let permitted: CapSet = 0, effective = false;
  if (!(c.securebits & SECBIT_NOROOT)) {
    if (c.euid === 0 || c.uid === 0) permitted = capOr(c.capBset, c.capInheritable);
    if (c.euid === 0) effective = true;
  }
  if (noNewPrivs && !capSubset(permitted, c.capPermitted)) permitted = capAnd(permitted, c.capPermitted);
  c.capPermitted = capOr(permitted, c.capAmbient);
  c.capEffective = effective ? c.capPermitted : c.capAmbient;
  c.securebits &= ~SECBIT_KEEP_CAPS;
}

/** ptrace_may_access's modes (include/linux/ptrace.h: kernel-internal, not uapi): what the access is for (READ:
 * inspect, ATTACH: change) and whose ids the caller is judged by (REALCREDS: its real ids, FSCREDS: its fs ids). */
export const PTRACE_MODE_READ = 0x01, PTRACE_MODE_ATTACH = 0x02, PTRACE_MODE_FSCREDS = 0x08, PTRACE_MODE_REALCREDS = 0x10;
export const PTRACE_MODE_READ_REALCREDS = PTRACE_MODE_READ | PTRACE_MODE_REALCREDS;
export const PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS;
export const PTRACE_MODE_READ_FSCREDS = PTRACE_MODE_READ | PTRACE_MODE_FSCREDS;
export const PTRACE_MODE_ATTACH_FSCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_FSCREDS;

/** The two sides of an access check: a task's identity and its process (a Task fits structurally). */
export interface CredHolder {
  readonly creds: Creds;
  /** its process: dumpable is prctl's PR_SET_DUMPABLE (0 once its ids changed: commit_creds) */
  readonly tg: { readonly dumpable: number };
}

/**
 * ptrace_may_access (kernel/ptrace.c: __ptrace_may_access): may caller
 * inspect (PTRACE_MODE_READ) or change (PTRACE_MODE_ATTACH) target? Its own
 * process always; otherwise the caller's real (or fs) uid must be each of
 * the target's uid, euid, suid and its gid each of the target's gids, or
 * the caller must hold CAP_SYS_PTRACE (umlts: effective uid 0). READ and
 * ATTACH differ only under an LSM (Yama's ptrace_scope), which umlts does
 * not have. A process that is not dumpable (it said so, or its ids changed:
 * commit_creds) only CAP_SYS_PTRACE may inspect, whatever the ids.
 */
export function ptraceMayAccess(caller: CredHolder, target: CredHolder, mode: number): boolean {
  if (caller.tg === target.tg) return true;
  const c = caller.creds, o = target.creds;
  const uid = mode & PTRACE_MODE_FSCREDS ? c.fsuid : c.uid, gid = mode & PTRACE_MODE_FSCREDS ? c.fsgid : c.gid;
  const idsMatch = uid === o.uid && uid === o.euid && uid === o.suid && gid === o.gid && gid === o.egid && gid === o.sgid;
  if (idsMatch && target.tg.dumpable === 1) return true;
  return capable(c, CAP_SYS_PTRACE); // ptrace_has_cap
}
