import type { Product } from '../types.ts';

export type ChangeOp = 'upsert' | 'patch' | 'delete';

/** One entry of the change log. `product` is the full state after an upsert or patch. */
export interface Change {
  seq: number;
  op: ChangeOp;
  id: string;
  product?: Product;
}

export interface UpsertOutcome {
  /** Sequence number of the last change written (the store's last seq when nothing changed). */
  seq: number;
  /** Products actually written (new or with different content), in input order. */
  changed: Product[];
  /** Products skipped because the stored content hash was identical. */
  unchanged: number;
}

export interface DeleteOutcome {
  seq: number;
  /** Ids that existed and were deleted. */
  deleted: string[];
}

export interface PatchOutcome {
  seq: number;
  /** Full products after the patch, in input order. */
  products: Product[];
}

/**
 * The source of truth: products, a monotonically numbered change log and engine metadata.
 * Every write is one transaction and is durable once its promise resolves.
 */
export interface Store {
  readonly kind: string;
  upsert(products: Product[]): Promise<UpsertOutcome>;
  /** Applies partial updates (null removes a field) atomically; PRODUCT_NOT_FOUND if any id is missing. */
  patch(patches: Array<{ id: string; patch: Record<string, unknown> }>): Promise<PatchOutcome>;
  delete(ids: string[]): Promise<DeleteOutcome>;
  get(id: string): Promise<Product | undefined>;
  getMany(ids: string[]): Promise<Array<Product | undefined>>;
  count(): Promise<number>;
  /** Every stored product, in batches (for index rebuilds). */
  scan(batchSize?: number): AsyncIterable<Product[]>;
  changesSince(seq: number, limit?: number): Promise<Change[]>;
  lastSeq(): Promise<number>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Index snapshot bytes with the change-log position they reflect (written atomically). */
  writeSnapshot(name: string, seq: number, data: Uint8Array): Promise<void>;
  readSnapshot(name: string): Promise<{ seq: number; data: Uint8Array } | undefined>;
  close(): Promise<void>;
}
