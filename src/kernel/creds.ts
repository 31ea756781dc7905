/** struct cred: a task's identity. Every field is owned by its task: each
 * task has its own copy (clone(2) copies it), written only by that task's
 * set*id / setgroups / setfs*id syscalls; others (procfs, SIGCHLD's si_uid) only read. */
export class Creds {
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
  ) {}
  clone(): Creds {
    return new Creds(this.uid, this.gid, this.euid, this.egid, this.suid, this.sgid, this.fsuid, this.fsgid, [...this.groups]);
  }
}

/** ptrace_may_access's modes (include/linux/ptrace.h: kernel-internal, not uapi): what the access is for (READ:
 * inspect, ATTACH: change) and whose ids the caller is judged by (REALCREDS: its real ids, FSCREDS: its fs ids). */
export const PTRACE_MODE_READ = 0x01, PTRACE_MODE_ATTACH = 0x02, PTRACE_MODE_FSCREDS = 0x08, PTRACE_MODE_REALCREDS = 0x10;
export const PTRACE_MODE_READ_REALCREDS = PTRACE_MODE_READ | PTRACE_MODE_REALCREDS;
export const PTRACE_MODE_ATTACH_REALCREDS = PTRACE_MODE_ATTACH | PTRACE_MODE_REALCREDS;
export const PTRACE_MODE_READ_FSCREDS = PTRACE_MODE_READ | PTRACE_MODE_FSCREDS;

/** The two sides of an access check: a task's identity and its process (a Task fits structurally). */
export interface CredHolder {
  readonly creds: Creds;
  readonly tg: object;
}

/**
 * ptrace_may_access (kernel/ptrace.c: __ptrace_may_access): may caller
 * inspect (PTRACE_MODE_READ) or change (PTRACE_MODE_ATTACH) target? Its own
 * process always; otherwise the caller's real (or fs) uid must be each of
 * the target's uid, euid, suid and its gid each of the target's gids, or
 * the caller must hold CAP_SYS_PTRACE (umlts: effective uid 0). READ and
 * ATTACH differ only under an LSM (Yama's ptrace_scope), which umlts does
 * not have. Not modelled: dumpability (every process is SUID_DUMP_USER, as
 * prctl(PR_GET_DUMPABLE) reports; Linux makes a process that changed its
 * ids non-dumpable, which only CAP_SYS_PTRACE may then inspect).
 */
export function ptraceMayAccess(caller: CredHolder, target: CredHolder, mode: number): boolean {
  if (caller.tg === target.tg) return true;
  const c = caller.creds, o = target.creds;
  const uid = mode & PTRACE_MODE_FSCREDS ? c.fsuid : c.uid, gid = mode & PTRACE_MODE_FSCREDS ? c.fsgid : c.gid;
  if (uid === o.uid && uid === o.euid && uid === o.suid && gid === o.gid && gid === o.egid && gid === o.sgid) return true;
  return c.euid === 0; // ptrace_has_cap: CAP_SYS_PTRACE
}
