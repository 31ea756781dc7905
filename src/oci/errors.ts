/** A failure of an umlts-oci command: one line for the user (and the engine's log), a non-zero exit. */
export class OciError extends Error {
  override name = 'OciError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
