/**
 * Snapshot files: `<dataDir>/<name>.snapshot`, a 64-byte header then the data.
 *
 *   0  8  magic "SOUKSNAP"
 *   8  4  format version (u32 LE) = 1
 *  12  4  header length (u32 LE) = 64
 *  16  8  change-log seq the data reflects (u64 LE)
 *  24  8  data length in bytes (u64 LE)
 *  32 32  sha256 of the data
 *
 * Written atomically (temp file, fsync, rename, fsync of the directory), so a crash leaves either the old
 * snapshot or the new one, never a mix. The length and checksum still catch media corruption, a copy cut
 * short, or a file from something else; those throw SNAPSHOT_INVALID and the caller rebuilds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SoukError } from '../errors.ts';

const MAGIC = Buffer.from('SOUKSNAP', 'latin1');
const FORMAT_VERSION = 1;
export const SNAPSHOT_HEADER_BYTES = 64;
export const SNAPSHOT_SUFFIX = '.snapshot';
const TEMP_MARKER = '.snapshot.tmp-';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Snapshot names become file names, so only a safe alphabet is accepted (no separators, no `..`). */
export function checkSnapshotName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new SoukError(
      'INVALID_REQUEST',
      `Invalid snapshot name ${JSON.stringify(name)}: use letters, digits, ".", "_" or "-" (at most 128)`,
      { name },
    );
  }
}

export function checkSnapshotSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new SoukError('INVALID_REQUEST', `Invalid snapshot seq ${seq}: must be a non-negative integer`, {
      seq,
    });
  }
}

export function encodeSnapshotHeader(seq: number, data: Uint8Array): Buffer {
  const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(SNAPSHOT_HEADER_BYTES, 12);
  header.writeBigUInt64LE(BigInt(seq), 16);
  header.writeBigUInt64LE(BigInt(data.byteLength), 24);
  createHash('sha256').update(data).digest().copy(header, 32);
  return header;
}

/** Parses and verifies a whole snapshot file; `where` names it in errors. */
export function decodeSnapshot(file: Uint8Array, where: string): { seq: number; data: Uint8Array } {
  const invalid = (reason: string): SoukError =>
    new SoukError('SNAPSHOT_INVALID', `Snapshot ${where} is unusable: ${reason}`, { file: where });
  const buffer = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buffer.length < SNAPSHOT_HEADER_BYTES) throw invalid(`truncated (${buffer.length} bytes)`);
  if (!buffer.subarray(0, 8).equals(MAGIC)) throw invalid('not a souk snapshot (bad magic)');
  const version = buffer.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw invalid(`unsupported format version ${version}`);
  if (buffer.readUInt32LE(12) !== SNAPSHOT_HEADER_BYTES) throw invalid('bad header length');
  const seq = buffer.readBigUInt64LE(16);
  const length = buffer.readBigUInt64LE(24);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('bad seq');
  const actual = BigInt(buffer.length - SNAPSHOT_HEADER_BYTES);
  if (length !== actual)
    throw invalid(`truncated or padded (header says ${length} data bytes, found ${actual})`);
  const data = buffer.subarray(SNAPSHOT_HEADER_BYTES);
  const checksum = createHash('sha256').update(data).digest();
  if (!checksum.equals(buffer.subarray(32, 64))) throw invalid('checksum mismatch (corrupt data)');
  return { seq: Number(seq), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function snapshotPath(dataDir: string, name: string): string {
  return join(dataDir, name + SNAPSHOT_SUFFIX);
}

/** Writes the snapshot atomically and durably; errors are passed through for the caller to map. */
export async function writeSnapshotFile(
  dataDir: string,
  name: string,
  seq: number,
  data: Uint8Array,
): Promise<void> {
  const target = snapshotPath(dataDir, name);
  const temp = join(dataDir, `${name}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  const header = encodeSnapshotHeader(seq, data);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writev([header, data]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    // The rename is only durable once the directory entry is on disk.
    const dir = await open(dataDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    if (!renamed) await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** The verified snapshot, undefined when there is none; SNAPSHOT_INVALID when it is damaged. */
export async function readSnapshotFile(
  dataDir: string,
  name: string,
): Promise<{ seq: number; data: Uint8Array } | undefined> {
  const path = snapshotPath(dataDir, name);
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
  return decodeSnapshot(file, path);
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Removes temp files left by a crash in the middle of writeSnapshotFile. A temp file whose writer is still
 * running (another process sharing the directory) is left alone.
 */
export async function removeStaleSnapshotTemps(dataDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch {
    return;
  }
  const stale = names.filter((name) => {
    const marker = name.indexOf(TEMP_MARKER);
    if (marker === -1) return false;
    const pid = Number.parseInt(name.slice(marker + TEMP_MARKER.length), 10);
    return !(pid > 0 && processIsAlive(pid));
  });
  await Promise.all(stale.map((name) => unlink(join(dataDir, name)).catch(() => undefined)));
}
