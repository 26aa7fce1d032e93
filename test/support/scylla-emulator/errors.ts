// CQL protocol error codes (native_protocol_v4.spec §9) as thrown values, so any layer can fail a
// request with the exact code the driver branches on.
export const ErrorCode = {
  server: 0x0000,
  protocol: 0x000a,
  badCredentials: 0x0100,
  unavailable: 0x1000,
  overloaded: 0x1001,
  writeTimeout: 0x1100,
  readTimeout: 0x1200,
  syntax: 0x2000,
  unauthorized: 0x2100,
  invalid: 0x2200,
  config: 0x2300,
  alreadyExists: 0x2400,
  unprepared: 0x2500,
} as const;

export type ErrorExtra =
  | { kind: 'unavailable'; consistency: number; required: number; alive: number }
  | { kind: 'writeTimeout'; consistency: number; received: number; blockFor: number; writeType: string }
  | { kind: 'readTimeout'; consistency: number; received: number; blockFor: number; dataPresent: boolean }
  | { kind: 'alreadyExists'; keyspace: string; table: string }
  | { kind: 'unprepared'; id: Buffer };

export class CqlError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly extra?: ErrorExtra,
  ) {
    super(message);
  }
}

export const invalid = (msg: string): CqlError => new CqlError(ErrorCode.invalid, msg);
export const syntaxError = (msg: string): CqlError => new CqlError(ErrorCode.syntax, msg);
export const serverError = (msg: string): CqlError => new CqlError(ErrorCode.server, msg);
