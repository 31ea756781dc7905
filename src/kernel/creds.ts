/** struct cred: a task's identity. Immutable once the task runs, except
 * through the set*id syscalls of the task that owns it. */
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
