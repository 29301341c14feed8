import { SoukError } from '../errors.ts';

/**
 * A tiny container for index snapshots: named sections of typed arrays or strings, each 8-byte aligned
 * so typed arrays can be viewed in place on load without copying.
 */
export type Section = Int32Array | Uint8Array | Uint16Array | Float32Array | Float64Array | string;

type SectionKind = 'Int32Array' | 'Uint8Array' | 'Uint16Array' | 'Float32Array' | 'Float64Array' | 'string';

interface SectionHeader {
  name: string;
  kind: SectionKind;
  offset: number;
  byteLength: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function kindOf(section: Section): SectionKind {
  if (typeof section === 'string') return 'string';
  return section.constructor.name as SectionKind;
}

export function packSections(sections: Record<string, Section>): Uint8Array {
  const headers: SectionHeader[] = [];
  const bodies: Uint8Array[] = [];
  let offset = 0;
  for (const [name, section] of Object.entries(sections)) {
    const bytes =
      typeof section === 'string'
        ? encoder.encode(section)
        : new Uint8Array(section.buffer, section.byteOffset, section.byteLength);
    headers.push({ name, kind: kindOf(section), offset, byteLength: bytes.byteLength });
    bodies.push(bytes);
    offset += Math.ceil(bytes.byteLength / 8) * 8;
  }
  const headerBytes = encoder.encode(JSON.stringify(headers));
  const headerLength = Math.ceil((headerBytes.byteLength + 4) / 8) * 8;
  const out = new Uint8Array(headerLength + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, true);
  out.set(headerBytes, 4);
  for (let i = 0; i < headers.length; i++) out.set(bodies[i]!, headerLength + headers[i]!.offset);
  return out;
}

export class Sections {
  private readonly byName = new Map<string, SectionHeader>();
  private readonly base: number;

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.byteLength < 4) throw new SoukError('SNAPSHOT_INVALID', 'snapshot is truncated');
    const headerByteLength = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
    let headers: SectionHeader[];
    try {
      headers = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerByteLength))) as SectionHeader[];
    } catch (error) {
      throw new SoukError('SNAPSHOT_INVALID', 'snapshot header is unreadable', {}, { cause: error });
    }
    this.base = Math.ceil((headerByteLength + 4) / 8) * 8;
    for (const header of headers) this.byName.set(header.name, header);
  }

  /** The section's bytes in place (no copy): for reading at once, never for keeping. */
  private view(name: string, kind: SectionKind): Uint8Array {
    const header = this.byName.get(name);
    if (!header || header.kind !== kind) {
      throw new SoukError('SNAPSHOT_INVALID', `snapshot section "${name}" is missing or of the wrong kind`);
    }
    const start = this.base + header.offset;
    if (start + header.byteLength > this.bytes.byteLength) {
      throw new SoukError('SNAPSHOT_INVALID', `snapshot section "${name}" is truncated`);
    }
    return this.bytes.subarray(start, start + header.byteLength);
  }

  private slice(name: string, kind: SectionKind): Uint8Array {
    // Copy so the typed array is aligned and owns its memory (the source buffer may be a pooled Buffer,
    // and a view would keep the whole snapshot alive).
    return this.view(name, kind).slice();
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  string(name: string): string {
    return decoder.decode(this.view(name, 'string'));
  }

  /**
   * A Uint8Array section in place, without copying: for bytes read once and dropped (a nested container
   * parsed right away, bytes written out). A view keeps the whole source buffer alive, so never keep it.
   */
  uint8View(name: string): Uint8Array {
    return this.view(name, 'Uint8Array');
  }

  /** An Int32Array section in place when it is 4-byte aligned (else a copy); see uint8View. */
  int32View(name: string): Int32Array {
    const bytes = this.view(name, 'Int32Array');
    if (bytes.byteOffset % 4 !== 0) return new Int32Array(bytes.slice().buffer);
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  /** A Float32Array section in place when it is 4-byte aligned (else a copy); see uint8View. */
  float32View(name: string): Float32Array {
    const bytes = this.view(name, 'Float32Array');
    if (bytes.byteOffset % 4 !== 0) return new Float32Array(bytes.slice().buffer);
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  }
  int32(name: string): Int32Array {
    return new Int32Array(this.slice(name, 'Int32Array').buffer);
  }
  uint8(name: string): Uint8Array {
    return this.slice(name, 'Uint8Array');
  }
  uint16(name: string): Uint16Array {
    return new Uint16Array(this.slice(name, 'Uint16Array').buffer);
  }
  float32(name: string): Float32Array {
    return new Float32Array(this.slice(name, 'Float32Array').buffer);
  }
  float64(name: string): Float64Array {
    return new Float64Array(this.slice(name, 'Float64Array').buffer);
  }
}
