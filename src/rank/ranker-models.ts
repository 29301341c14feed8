/**
 * Versioned learned-ranker models kept in the store's metadata: every trained or updated model gets the next
 * version (`r1`, `r2`, …), one of them (or none) is active, and activating an earlier one is how a bad model
 * is rolled back. Models are small (a few hundred trees), so each is one JSON metadata entry.
 */
import { SoukError } from '../errors.ts';
import { scoreRow, type TreeEnsemble, type TreeNode } from './lambdamart.ts';
import {
  packAssociations,
  unpackAssociations,
  type PackedAssociations,
  type TermAssociations,
} from './term-associations.ts';

export interface MetadataStore {
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}

export interface RankerInfo {
  version: string;
  createdAt: string;
  /** How it was made: `judgments`, `feedback`, or `online` (trees added to `parent`). */
  source: 'judgments' | 'feedback' | 'online';
  parent?: string;
  trees: number;
  /** Offline metrics measured when it was made (e.g. holdout NDCG@10 before and after). */
  metrics: Record<string, number>;
  /** Training data summary (queries, rows, events). */
  trainedOn: Record<string, number>;
}

export interface RankerModel extends TreeEnsemble {
  info: RankerInfo;
  /** Query-word → product-word associations learned with the trees (their `assoc_*` features read it). */
  associations?: TermAssociations;
}

/** A trained ranker ready to score feature rows in its own feature order. */
export interface Ranker {
  readonly version: string;
  readonly featureNames: readonly string[];
  readonly associations?: TermAssociations | undefined;
  score(rows: Float32Array): Float64Array;
}

export function rankerOf(model: RankerModel): Ranker {
  const width = model.featureNames.length;
  return {
    version: model.info.version,
    featureNames: model.featureNames,
    associations: model.associations,
    score(rows) {
      const count = rows.length / width;
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = scoreRow(model, rows, i * width);
      return out;
    },
  };
}

const VERSIONS_KEY = 'ranker:versions';
const ACTIVE_KEY = 'ranker:active';
const modelKey = (version: string): string => `ranker:model:${version}`;

type StoredNode = [number, number, number, number, number];

function packTree(tree: TreeNode[]): StoredNode[] {
  return tree.map((node) => [node.f, node.t, node.l, node.r, node.v]);
}

function unpackTree(tree: StoredNode[]): TreeNode[] {
  return tree.map(([f, t, l, r, v]) => ({ f, t, l, r, v }));
}

export class RankerModels {
  private versions: RankerInfo[] = [];
  private active: RankerModel | undefined;
  private readonly cache = new Map<string, RankerModel>();

  constructor(private readonly store: MetadataStore) {}

  async load(): Promise<void> {
    const stored = await this.store.getMeta(VERSIONS_KEY);
    this.versions = stored ? (JSON.parse(stored) as RankerInfo[]) : [];
    const active = await this.store.getMeta(ACTIVE_KEY);
    this.active = active ? await this.get(active) : undefined;
  }

  list(): RankerInfo[] {
    return this.versions.map((info) => ({ ...info }));
  }

  activeVersion(): string | undefined {
    return this.active?.info.version;
  }

  activeModel(): RankerModel | undefined {
    return this.active;
  }

  async get(version: string): Promise<RankerModel> {
    const cached = this.cache.get(version);
    if (cached) return cached;
    const stored = await this.store.getMeta(modelKey(version));
    if (!stored) {
      throw new SoukError('RANKER_NOT_FOUND', `No ranker model ${JSON.stringify(version)}`, {
        field: 'ranker',
      });
    }
    const parsed = JSON.parse(stored) as {
      info: RankerInfo;
      featureNames: string[];
      trees: StoredNode[][];
      associations?: PackedAssociations;
    };
    const model: RankerModel = {
      info: parsed.info,
      featureNames: parsed.featureNames,
      trees: parsed.trees.map(unpackTree),
      ...(parsed.associations ? { associations: unpackAssociations(parsed.associations) } : {}),
    };
    this.cache.set(version, model);
    return model;
  }

  /** Stores a new model (and the term associations it reads) under the next version; not yet active. */
  async save(
    ensemble: TreeEnsemble,
    info: Omit<RankerInfo, 'version' | 'createdAt' | 'trees'>,
    associations?: TermAssociations,
  ): Promise<RankerModel> {
    let next = 1;
    for (const { version } of this.versions) next = Math.max(next, Number(version.slice(1)) + 1);
    const full: RankerInfo = {
      ...info,
      version: `r${next}`,
      createdAt: new Date().toISOString(),
      trees: ensemble.trees.length,
    };
    const model: RankerModel = {
      info: full,
      featureNames: ensemble.featureNames,
      trees: ensemble.trees,
      ...(associations ? { associations } : {}),
    };
    await this.store.setMeta(
      modelKey(full.version),
      JSON.stringify({
        info: full,
        featureNames: model.featureNames,
        trees: model.trees.map(packTree),
        ...(associations ? { associations: packAssociations(associations) } : {}),
      }),
    );
    this.versions.push(full);
    await this.store.setMeta(VERSIONS_KEY, JSON.stringify(this.versions));
    this.cache.set(full.version, model);
    return model;
  }

  /** Makes `version` the model `search` uses; `none` turns learned ranking off. */
  async activate(version: string): Promise<void> {
    if (version === 'none') {
      await this.store.setMeta(ACTIVE_KEY, '');
      this.active = undefined;
      return;
    }
    const model = await this.get(version);
    await this.store.setMeta(ACTIVE_KEY, version);
    this.active = model;
  }

  /** The model a request asks for: `none`, `active` (the default; may be none) or a version. */
  async resolve(asked: string | undefined): Promise<RankerModel | undefined> {
    if (asked === undefined || asked === 'active') return this.active;
    if (asked === 'none') return undefined;
    if (typeof asked !== 'string') {
      throw new SoukError('INVALID_REQUEST', 'ranker must be "none", "active" or a model version', {
        field: 'ranker',
      });
    }
    return this.get(asked);
  }
}
