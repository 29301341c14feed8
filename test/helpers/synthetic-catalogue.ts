/**
 * Deterministic synthetic catalogues for the engine persistence and crash tests. Every product carries one
 * unique token (`uniqueToken(i)`: letters around zero-padded digits, so the analyser keeps it as one
 * unstemmed, typo-free term that is no other token's prefix) besides titles built from a small word list.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Product } from '../../src/types.ts';

export const WORDS = [
  'alpine',
  'harbor',
  'summit',
  'canvas',
  'leather',
  'wool',
  'cotton',
  'linen',
  'denim',
  'fleece',
  'jacket',
  'hoodie',
  'beanie',
  'scarf',
  'boots',
  'sneakers',
  'backpack',
  'lamp',
  'kettle',
  'blender',
  'pillow',
  'blanket',
  'mug',
  'bottle',
  'tent',
  'lantern',
  'compass',
  'rope',
  'glove',
  'sock',
] as const;
export const BRANDS = ['Acme', 'Zenith', 'Orbit', 'Nimbus', 'Vertex', 'Kestrel'] as const;
export const COLORS = ['Red', 'Blue', 'Green', 'Black', 'White', 'Gray'] as const;
export const CATEGORIES: readonly string[][] = [
  ['Outdoor', 'Camping'],
  ['Outdoor', 'Hiking', 'Boots'],
  ['Men', 'Tops', 'Hoodies'],
  ['Women', 'Accessories'],
  ['Home', 'Kitchen'],
  ['Home', 'Bedroom', 'Bedding'],
];

/** A seeded PRNG (mulberry32): the same seed gives the same catalogue on every run and machine. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** The token only product `i` has: `sku` + 7 digits + `q`, e.g. `sku0000042q`. */
export function uniqueToken(i: number): string {
  return `sku${String(i).padStart(7, '0')}q`;
}

export function productId(i: number): string {
  return `p${i}`;
}

/** Product `i` of the catalogue generated from `seed` (independent of the other products). */
export function syntheticProduct(i: number, seed = 1): Product {
  const rand = random(seed * 1_000_003 + i);
  const words = Array.from({ length: 3 + Math.floor(rand() * 3) }, () => pick(rand, WORDS));
  const product: Product = {
    id: productId(i),
    title: `${words.join(' ')} ${uniqueToken(i)}`,
    description: `${pick(rand, WORDS)} ${pick(rand, WORDS)} for every day`,
    brand: pick(rand, BRANDS),
    category: [...pick(rand, CATEGORIES)],
    attributes: { color: [pick(rand, COLORS)], width_cm: 10 + Math.floor(rand() * 90) },
  };
  if (rand() < 0.9) product.price = Math.round(rand() * 50_000) / 100;
  if (rand() < 0.8) product.rating = Math.round(10 + rand() * 40) / 10;
  return product;
}

export function syntheticProducts(count: number, seed = 1, from = 0): Product[] {
  return Array.from({ length: count }, (_, k) => syntheticProduct(from + k, seed));
}

/** Writes `count` products as JSON Lines to `file` (streamed, so large catalogues stay cheap). */
export async function writeSyntheticCatalogue(file: string, count: number, seed = 1): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(JSON.stringify(syntheticProduct(i, seed)));
    if (chunk.length === 1000 || i === count - 1) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, 'finish');
}
