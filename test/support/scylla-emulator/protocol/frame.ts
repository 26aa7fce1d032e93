// CQL v4 frame header (9 bytes, big-endian) and incremental frame extraction from a byte stream.
export const Opcode = {
  error: 0x00,
  startup: 0x01,
  ready: 0x02,
  authenticate: 0x03,
  options: 0x05,
  supported: 0x06,
  query: 0x07,
  result: 0x08,
  prepare: 0x09,
  execute: 0x0a,
  register: 0x0b,
  event: 0x0c,
  batch: 0x0d,
  authChallenge: 0x0e,
  authResponse: 0x0f,
  authSuccess: 0x10,
} as const;

export const HEADER_LENGTH = 9;
export const RESPONSE_VERSION = 0x84;
const MAX_FRAME = 256 * 1024 * 1024;

export interface Frame {
  version: number;
  flags: number;
  stream: number;
  opcode: number;
  body: Buffer;
}

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    if (this.pendingLength < HEADER_LENGTH) return frames;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    let off = 0;
    while (buf.length - off >= HEADER_LENGTH) {
      const length = buf.readInt32BE(off + 5);
      if (length < 0 || length > MAX_FRAME) throw new Error(`invalid frame length ${length}`);
      if (buf.length - off < HEADER_LENGTH + length) break;
      frames.push({
        version: buf[off]!,
        flags: buf[off + 1]!,
        stream: buf.readInt16BE(off + 2),
        opcode: buf[off + 4]!,
        body: buf.subarray(off + HEADER_LENGTH, off + HEADER_LENGTH + length),
      });
      off += HEADER_LENGTH + length;
    }
    buf = buf.subarray(off);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingLength = buf.length;
    return frames;
  }
}

export function encodeFrame(stream: number, opcode: number, body: Buffer, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out[0] = RESPONSE_VERSION;
  out[1] = flags;
  out.writeInt16BE(stream, 2);
  out[4] = opcode;
  out.writeInt32BE(body.length, 5);
  body.copy(out, HEADER_LENGTH);
  return out;
}
