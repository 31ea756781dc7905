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
