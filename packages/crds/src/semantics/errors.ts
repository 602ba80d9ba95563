/** A malformed object. `field` is the path as the apiserver prints it, e.g. `spec.egressIPs[1]`. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly field: string,
    readonly detail: string,
    /** `namespace/name` or `name` of the object, when known. */
    readonly object?: string,
  ) {
    super(`${object ? `${object}: ` : ''}${field}: ${detail}`);
  }
}
