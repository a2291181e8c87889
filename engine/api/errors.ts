import type { ErrorCode } from './schemas.js';

/** The one error type that crosses the boundary: a code the UI can act on and a sentence a user can read. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
