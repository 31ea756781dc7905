/**
 * The library's errors: values with a kind, the Linux errno when one says
 * what went wrong, and the status the umlts command exits with for them.
 * A worker's error crosses to the main thread as an ErrorInfo and is made
 * into the same class there.
 */
import { ERRNO_NAMES } from '../abi/errno.js';

/** Every error the library rejects with. */
export class UmltsError extends Error {
  override name = 'UmltsError';
  /** a word for the kind: an errno name ('ENOENT', 'EACCES', 'ENOEXEC'...) or 'EINVAL' for a bad option, 'EKERNEL' for a kernel failure, 'ENOBUFS' past maxBuffer */
  readonly code: string;
  /** the Linux errno, when one says what went wrong */
  readonly errno: number | undefined;
  /** what the umlts command exits with for it: 2 (bad option), 126 (cannot execute), 127 (not found), 70 (kernel failure) */
  readonly exitCode: number;
  constructor(message: string, code: string, exitCode: number, errno?: number) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
    this.errno = errno;
  }
}

/** A bad option (a wrong type or range, a root that is not a directory, an unknown user...). */
export class OptionError extends UmltsError {
  override name = 'OptionError';
  constructor(message: string) {
    super(message, 'EINVAL', 2, 22);
  }
}

/** The program could not be started: not found (ENOENT, exit 127), not executable or a bad ELF (126). */
export class ExecError extends UmltsError {
  override name = 'ExecError';
  constructor(message: string, errno: number) {
    super(message, ERRNO_NAMES[errno] ?? `E${errno}`, errno === 2 ? 127 : 126, errno);
  }
}

/** A kernel failure (a bug, or a host failure it could not survive): the sandbox is gone. */
export class KernelError extends UmltsError {
  override name = 'KernelError';
  constructor(message: string, readonly detail?: string) {
    super(message, 'EKERNEL', 70);
  }
}

/** The sandbox was closed (or failed) before the request could be served. */
export class ClosedError extends UmltsError {
  override name = 'ClosedError';
  constructor(message = 'the sandbox is closed') {
    super(message, 'ESHUTDOWN', 70, 108);
  }
}

/** run(): stdout or stderr went past maxBuffer; the sandbox was killed. The output so far is attached. */
export class MaxBufferError extends UmltsError {
  override name = 'MaxBufferError';
  constructor(message: string, readonly stdout: Buffer, readonly stderr: Buffer) {
    super(message, 'ENOBUFS', 70, 105);
  }
}

/** An error as it crosses from the worker (structured clone keeps no classes). */
export interface ErrorInfo {
  kind: 'option' | 'exec' | 'kernel' | 'closed';
  message: string;
  errno?: number;
  /** a stack, for UMLTS_DEBUG */
  detail?: string;
}

export function fromInfo(i: ErrorInfo): UmltsError {
  switch (i.kind) {
    case 'option': return new OptionError(i.message);
    case 'exec': return new ExecError(i.message, i.errno ?? 2);
    case 'closed': return new ClosedError(i.message);
    default: return new KernelError(i.message, i.detail);
  }
}
