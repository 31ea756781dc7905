/** A failed host call: the libc function's name and the host errno.
 * Thrown only by src/host; mapped to a guest errno (or a fatal kernel error)
 * at the boundary that called it. */
export class HostError extends Error {
  constructor(readonly call: string, readonly errno: number, detail?: string) {
    super(`${call}${detail ? ` (${detail})` : ''}: host errno ${errno}`);
    this.name = 'HostError';
  }
}
