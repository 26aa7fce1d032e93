// Seeded PRNG (sfc32). Every random choice the emulator makes (timeuuid low bits, stream ids,
// fault draws) goes through one of these so a run is reproducible under --seed.
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9 ^ seed;
    this.b = 0x243f6a88 ^ Math.imul(seed, 0x85ebca6b);
    this.c = 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35);
    this.d = (seed | 0) + 1;
    for (let i = 0; i < 16; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  nextBigU64(): bigint {
    return (BigInt(this.nextU32()) << 32n) | BigInt(this.nextU32());
  }

  fill(buf: Buffer, offset = 0, length = buf.length - offset): Buffer {
    for (let i = 0; i < length; i += 4) {
      const v = this.nextU32();
      for (let j = 0; j < 4 && i + j < length; j++) buf[offset + i + j] = (v >>> (j * 8)) & 0xff;
    }
    return buf;
  }

  /** A child generator, so independent subsystems do not perturb each other's sequences. */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}
