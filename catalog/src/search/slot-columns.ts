/**
 * Per-slot data in typed arrays. Search loops read a few fields of tens of thousands of matches; typed columns
 * keep those reads sequential-ish and out of the GC heap, where one object per asset meant a cache miss each.
 * Slots are only ever appended, so columns only grow.
 */

/** A growable Int32Array. */
export class IntColumn {
  data = new Int32Array(1024)
  length = 0

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length++] = value
  }

  get bytes(): number {
    return this.data.byteLength
  }
}

/** A growable Uint8Array. */
export class ByteColumn {
  data = new Uint8Array(1024)
  length = 0

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint8Array(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length++] = value
  }

  get bytes(): number {
    return this.data.byteLength
  }
}

/** A short list of ints per slot (tag and owner codes), packed in one pool: slot `s` owns `pool[offsets[s] .. offsets[s + 1])`. */
export class CodeLists {
  readonly offsets = new IntColumn()
  readonly pool = new IntColumn()

  constructor() {
    this.offsets.push(0)
  }

  push(codes: readonly number[]): void {
    for (const c of codes) this.pool.push(c)
    this.offsets.push(this.pool.length)
  }

  get bytes(): number {
    return this.offsets.bytes + this.pool.bytes
  }
}
