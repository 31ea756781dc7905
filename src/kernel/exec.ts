/**
 * execve(2) and binfmt_script (fs/exec.c): resolve and check a program,
 * load its ELF image and interpreter into a fresh address space, and the
 * point of no return (de_thread, close-on-exec, signal handlers reset).
 *
 * Functions of the Kernel (kernel.ts), which calls them through its
 * methods; state is the kernel's, guarded by the JS thread.
 */
import { OutOfMemory } from '../mm/physmem.js';
import { AddressSpace } from '../mm/address_space.js';
import { type Context, ContextGone, StubFailed } from '../platform/platform.js';
import { RIP, ORIG_RAX, RSP, NREGS, FS_BASE, GS_BASE, CS, SS } from '../platform/regs.js';
import { Errno, ErrnoError } from '../abi/errno.js';
import { Task } from './task.js';
import { Creds, capable, execCaps } from './creds.js';
import { CAP_DAC_OVERRIDE } from '../abi/capability.js';
import { BLOCKED, REGS_SET } from './syscall.js';
import { ptraceExec } from './ptrace.js';
import { initFpState, SIG_IGN, defaultAction, SIGSEGV } from './signal.js';
import { FsContext } from '../fs/vfs.js';
import { File } from '../fs/file.js';
import type { ExeDenial } from '../fs/writecount.js';
import { ElfImage, LoaderError, loadElf, parseElf, execArgMax, MAX_ARG_STRLEN } from '../loader/elf.js';
import { RLIMIT_STACK } from '../abi/resource.js';
import { O_RDONLY, O_NOFOLLOW, S_IFMT, S_IFREG, S_IFDIR } from '../fs/types.js';
import { getRandomBytes } from '../fs/devfs.js';
import { Kernel, PreparedExec, ExecOrigin, ExecFileImpl, errnoMessage } from './kernel.js';
import { exitRobustList } from './futex.js';
import { sharesMm } from './exit.js';
import { unshareFiles } from './fork.js';
import { READ_IMPLIES_EXEC } from '../abi/personality.js';
import { encodeName, nameByteLength } from '../abi/names.js';

/**
 * The checks of execve that can fail before anything changes: resolve the
 * path, permission, #! scripts, the ELF headers and its interpreter.
 */
export function prepareExec(k: Kernel, fs: FsContext, path: string, argv: string[], creds: Creds, depth = 0,
  origin: ExecOrigin | null = null): PreparedExec {
  if (path === '') throw new LoaderError(Errno.ENOENT, `${path}: No such file or directory`);
  const file = k.openExec(fs, path, creds, false, origin?.at ?? null, origin?.nofollow ?? false);
  const filename = origin?.filename ?? path;
  let deny: ExeDenial;
  try {
    deny = denyWrite(k, file, path);
  } catch (e) {
    file.put();
    throw e;
  }
  try {
    const head = new Uint8Array(256);
    const n = file.read(head, 0);
    if (n >= 2 && head[0] === 0x23 && head[1] === 0x21) {
      // binfmt_script: "#!interp [arg]"
      if (depth >= 4) throw new LoaderError(Errno.ELOOP, `${path}: too many levels of #! interpreters`);
      let end = head.indexOf(10, 2);
      if (end < 0) end = n;
      const line = Buffer.from(head.subarray(2, end)).toString('utf8').trim();
      if (!line) throw new LoaderError(Errno.ENOEXEC, `${path}: empty #! line`);
      const sp = line.search(/[ \t]/);
      const interp = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp).trim();
      // (the interpreter opens the script by the name exec was given: one through a descriptor closed at exec
      // cannot be: BINPRM_FLAGS_PATH_INACCESSIBLE)
      if (origin?.cloexec) throw new LoaderError(Errno.ENOENT, `${filename}: No such file or directory`);
      const nargv = [interp, ...(arg ? [arg] : []), filename, ...argv.slice(1)];
      // the interpreter's image is what runs: the script itself is not held (found in review: each #! exec
      // kept it open)
      const p = k.prepareExec(fs, interp, nargv, creds, depth + 1);
      deny.release();
      file.put();
      // bprm->filename stays the script's
      p.filename = filename;
      p.commFromFile = origin?.commFromFile ?? false;
      return p;
    }
    const st = file.stat();
    const size = typeof st === 'number' ? 0 : st.size;
    const ef = k.execFile(file, size);
    const img = parseElf(ef, path);
    let interp: ElfImage | null = null;
    let ifile: File | null = null;
    let ideny: ExeDenial | null = null;
    try {
      if (img.interp) {
        ifile = k.openExec(fs, img.interp, creds, true);
        ideny = denyWrite(k, ifile, img.interp);
        const ist = ifile.stat();
        interp = parseElf(k.execFile(ifile, typeof ist === 'number' ? 0 : ist.size), img.interp);
        if (interp.interp) throw new LoaderError(Errno.ELIBBAD, `${img.interp}: interpreter has an interpreter`);
      }
      let total = 0;
      for (const a of argv) {
        const l = nameByteLength(a) + 1;
        if (l > MAX_ARG_STRLEN) throw new LoaderError(Errno.E2BIG, `${path}: argument list too long`);
        total += l + 8;
      }
      const exe = k.vfs.locOf(file)?.path ?? (path.startsWith('/') ? path : k.vfs.absolute(fs, path));
      return {
        path, filename, commFromFile: origin?.commFromFile ?? false, argv, img, interp, files: [file, ...(ifile ? [ifile] : [])],
        denials: [deny, ...(ideny ? [ideny] : [])], argTotal: total, exe,
      };
    } catch (e) {
      ideny?.release();
      ifile?.put();
      throw e;
    }
  } catch (e) {
    deny.release();
    file.put();
    throw e;
  }
}

/**
 * do_open_execat's deny_write_access on a file exec opened: a LoaderError
 * ETXTBSY while a file open for writing holds its inode (the caller puts
 * the file back).
 */
function denyWrite(k: Kernel, f: File, path: string): ExeDenial {
  const d = k.vfs.denyWriteAccess(f);
  if (typeof d !== 'number') return d;
  throw new LoaderError(-d as Errno, `${path}: ${errnoMessage(-d)}`);
}

/** An exec given up before its image was loaded: its files and their write denials go. */
export function dropPrepared(p: PreparedExec): void {
  for (const d of p.denials) d.release();
  for (const f of p.files) f.put();
}

export function openExec(k: Kernel, fs: FsContext, path: string, creds: Creds, interp = false, at: File | null = null,
  nofollow = false): File {
  const f = k.vfs.open({ fs, creds }, at, path, O_RDONLY | (nofollow ? O_NOFOLLOW : 0), 0, true);
  if (typeof f === 'number') {
    const what = interp ? `interpreter ${path}` : path;
    throw new LoaderError(-f as Errno, `${what}: ${errnoMessage(-f)}`);
  }
  const st = f.stat();
  if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFREG) {
    f.put();
    const isDir = typeof st !== 'number' && (st.mode & S_IFMT) === S_IFDIR;
    throw new LoaderError(Errno.EACCES, `${path}: ${isDir ? 'Is a directory' : 'Permission denied (not a regular file)'}`);
  }
  // do_open_execat: path_noexec (the interpreter's too)
  if (k.vfs.noExec(f)) {
    f.put();
    throw new LoaderError(Errno.EACCES, `${path}: Permission denied (noexec)`);
  }
  // execute permission (root needs at least one x bit)
  const x = capable(creds, CAP_DAC_OVERRIDE) ? (st.mode & 0o111) !== 0 : creds.euid === st.uid ? (st.mode & 0o100) !== 0 : creds.egid === st.gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
  if (!x && !interp) {
    f.put();
    throw new LoaderError(Errno.EACCES, `${path}: Permission denied`);
  }
  return f;
}

export function execFile(k: Kernel, f: File, size: number): ExecFileImpl {
  const m = f.mappable();
  if (!m) throw new LoaderError(Errno.EACCES, `${f.path}: cannot be mapped`);
  return new ExecFileImpl(f, size, m);
}

/** Do the new image's argument and environment strings, with their pointers, take more than the budget the
 * process's RLIMIT_STACK gives them (bprm_stack_limits: E2BIG)? */
function tooBig(task: Task, p: PreparedExec, envp: string[]): boolean {
  let total = p.argTotal;
  for (const e of envp) total += nameByteLength(e) + 9;
  return total > execArgMax(task.tg.limit(RLIMIT_STACK)[0]);
}

/** Load a prepared image into the task's (empty) mm and set its registers. */
export function loadInto(k: Kernel, task: Task, p: PreparedExec, envp: string[]): void {
  let r: ReturnType<typeof loadElf>;
  let loaded = false;
  try {
    if (tooBig(task, p, envp)) throw new LoaderError(Errno.E2BIG, `${p.path}: argument list too long`);
    const random = new Uint8Array(16);
    getRandomBytes(random);
    task.mm.setSyncThread(task.thread);
    // arch_pick_mmap_layout: the mmap area leaves the stack the room its limit gives it
    task.mm.pickMmapLayout(task.tg.limit(RLIMIT_STACK)[0]);
    r = loadElf(task.mm, p.img, p.interp, {
      argv: p.argv, envp, execfn: p.filename, random,
      uid: task.creds.uid, gid: task.creds.gid, euid: task.creds.euid, egid: task.creds.egid,
    });
    loaded = true;
  } finally {
    // the VMAs hold their own references now; a load that failed (the process dies) keeps none (found by a
    // fuzzer: each failed exec held its program and interpreter open). The program stays unwritable while
    // this address space runs it (set_mm_exe_file); the interpreter is writable again once loaded
    // (load_elf_binary's allow_write_access)
    if (loaded) task.mm.setExeHold(p.denials[0]!);
    for (let i = loaded ? 1 : 0; i < p.denials.length; i++) p.denials[i]!.release();
    for (const f of p.files) f.put();
  }
  const regs = task.regs;
  task.thread.getRegs(regs);
  for (let i = 0; i < NREGS; i++) {
    if (i !== CS && i !== SS && i < FS_BASE) regs.set(i, 0);
  }
  regs.set(18, 0x202); // eflags: IF
  regs.set(FS_BASE, 0);
  regs.set(GS_BASE, 0);
  regs.set(RIP, r.entry);
  regs.set(RSP, r.sp);
  regs.set(ORIG_RAX, -1);
  task.sc.atSeccomp = false;
  task.sc.returning = false;
  task.tg.exe = p.exe; // the file, not the name it was run by (an exec of /proc/self/exe must not name itself)
  task.tg.cmdline = new Uint8Array(encodeName(p.argv.map((a) => a + '\0').join('')));
  task.tg.auxv = r.auxv;
  // (__set_task_comm: kbasename(bprm->filename), or the file's own name)
  task.comm = (p.commFromFile ? p.exe.replace(/ \(deleted\)$/, '') : p.filename).split('/').pop()!.slice(0, 15);
}

/** free frames below which exec flushes the old image's unmapping before loading the new one (frames the host
 * still maps are freed only after a flush): 16 MiB */
const EXEC_ROOM_PAGES = 4096;

/**
 * execve(2) for a running task: everything that can fail is checked first;
 * then the old image goes. A process's own stub is reused (its host
 * mappings are dropped with the old VMAs), which saves spawning one; one
 * another process shares (CLONE_VM) stays theirs (emptyMm, takeMm).
 */
export function execve(k: Kernel, task: Task, path: string, argv: string[], envp: string[], origin: ExecOrigin | null = null): number {
  k.stats.execs++;
  // an empty argv becomes [""] (Linux 5.18's do_execveat_common: a program that starts at argv[1] must not walk
  // into envp)
  if (argv.length === 0) argv = [''];
  // (the exec event's message: the tid it had, which de_thread may change)
  const oldTid = task.tid;
  let p: PreparedExec;
  try {
    p = k.prepareExec(task.fs, path, argv, task.creds, 0, origin);
  } catch (e) {
    if (e instanceof LoaderError) return -e.errno;
    throw e;
  }
  // (the strings all together: before the point of no return, as Linux copies them)
  if (tooBig(task, p, envp)) {
    dropPrepared(p);
    return -Errno.E2BIG;
  }
  // exec_mmap's new mm: an address space another process shares (CLONE_VM: a vfork child's) stays theirs, and
  // the new image gets one of its own, made before the point of no return as Linux's bprm_mm_init
  let own: { mm: AddressSpace; thread: Context } | null = null;
  if (sharesMm(task.tg, task.mm)) {
    try {
      own = emptyMm(k);
    } catch (e) {
      dropPrepared(p);
      if (e instanceof ErrnoError) return -e.errno;
      throw e;
    }
    k.stats.stubs++;
  }
  // the point of no return
  if (task.tg.tasks.length > 1) k.deThread(task);
  // the old image's robust futexes (exec_mm_release)
  exitRobustList(k.futexes, task);
  // set_personality_64bit: a 64-bit program never starts with READ_IMPLIES_EXEC
  task.personality &= ~READ_IMPLIES_EXEC;
  // the new image's capabilities (begin_new_exec commits what cap_bprm_creds_from_file computed)
  execCaps(task.creds, task.noNewPrivs);
  // exec_mmap: the old image's peak stays the process's
  task.tg.maxrssKiB = Math.max(task.tg.maxrssKiB, task.mm.maxRss * 4);
  if (own) takeMm(task, own.mm, own.thread);
  const mm = task.mm;
  mm.setSyncThread(task.thread);
  // (in place: the old image's host mappings of files the new one maps as they are stay, endExec)
  if (!own) mm.reset(true);
  // the old image's host mappings go in the same flush as the new one's
  // (in order: every munmap runs before the mmaps after it), unless memory
  // is short: the frames the host still maps come back only after a flush
  mm.flushIfShort(EXEC_ROOM_PAGES);
  task.thread.setXstate(initFpState(576));
  try {
    k.loadInto(task, p, envp);
  } catch (e) {
    // past the point of no return every failure is the process's death (an ErrnoError too: an interpreter
    // whose segments span more than the free address space)
    if (e instanceof LoaderError || e instanceof OutOfMemory || e instanceof ErrnoError) {
      k.exitGroup(task, SIGSEGV);
      return BLOCKED;
    }
    throw e;
  }
  mm.endExec();
  // unshare_files (begin_new_exec): a table another process shares (CLONE_FILES) keeps its close-on-exec fds
  unshareFiles(task);
  task.files.closeOnExec((f) => k.filpClose(task.tg, f));
  // handled signals go back to their defaults; ignored ones stay ignored, in a table of the process's own
  // (unshare_sighand: another process's CLONE_SIGHAND table stays as it is)
  task.tg.sigactions = task.tg.sigactions.slice();
  task.tg.dumpable = 1; // (begin_new_exec: set_dumpable(SUID_DUMP_USER))
  for (let s = 1; s <= 64; s++) {
    const a = task.tg.sigactions[s];
    if (a && a.handler !== SIG_IGN) task.tg.sigactions[s] = defaultAction();
  }
  task.altStackSp = task.altStackSize = 0;
  task.altStackFlags = 2;
  task.tg.timers?.exec(); // POSIX timers do not survive exec (alarm and itimers do)
  k.vforkRelease(task);
  if (task.ptrace) ptraceExec(k, task, oldTid);
  return REGS_SET;
}

/**
 * A new, empty address space: a copy of the zygote (a stub that never runs
 * guest code, made by the first call) where the platform copies stubs,
 * else a spawned stub. A zygote that cannot be copied any more (its host
 * process killed from outside) is dropped, and the next call makes another.
 */
function emptyMm(k: Kernel): { mm: AddressSpace; thread: Context } {
  if (!k.platform.forkAddressSpace) return AddressSpace.create(k.physmem, k.platform);
  if (!k.zygote) {
    k.zygote = AddressSpace.create(k.physmem, k.platform);
    k.stats.stubs++;
  }
  const z = k.zygote;
  try {
    return z.mm.copyEmpty(z.thread);
  } catch (e) {
    if (!(e instanceof ContextGone || e instanceof StubFailed)) throw e;
    k.zygote = null;
    z.mm.release();
    return AddressSpace.create(k.physmem, k.platform);
  }
}

/**
 * exec_mmap with a new address space: the task leaves the one it shared
 * (its host thread, stopped at this exec, is parked there for that
 * address space's next thread) for mm, on mm's first host thread.
 */
function takeMm(task: Task, mm: AddressSpace, thread: Context): void {
  const old = task.mm;
  // (its CPU time goes with it: counted in the new process's clock as if used there)
  task.kernel.platform.settle(task.thread);
  const used = task.cpuNs();
  old.leave(task.thread, true);
  old.cpuCountedNs += used;
  task.thread.owner = null;
  mm.limits = task.tg;
  mm.cpuCountedNs -= used;
  task.mm = mm;
  task.thread = thread;
  task.cpuBaseNs = task.kernel.platform.threadCpuNs(thread) - used;
  thread.owner = task;
  // every register goes to the new host thread, which stopped at no seccomp check
  task.regs.dirty = true;
  task.sc.atSeccomp = false;
}

/**
 * de_thread for execve: every other thread of the process ends (stopped
 * now if it is running guest code), and the exec'ing thread takes the
 * leader's tid.
 */
export function deThread(k: Kernel, task: Task): void {
  const tg = task.tg;
  for (const t of tg.tasks) if (t !== task) k.sched.unwait(t); // none may be started by a vCPU a sibling frees
  for (const t of [...tg.tasks]) {
    if (t === task || t.state === 'zombie' || t.state === 'dead') continue;
    // only a thread on a vCPU runs on the host; one that waits for a vCPU is stopped already
    const alive = t.state === 'running' && t.cpu >= 0 ? k.platform.stopNow(t.thread) : true;
    exitRobustList(k.futexes, t);
    k.dropThread(t, alive);
  }
  if (task.tid !== tg.tgid) {
    k.tasks.delete(task.tid);
    task.tid = tg.tgid;
    k.tasks.set(task.tid, task);
  }
}
