import { isAbsolute } from 'node:path';
import type { Product, SearchHit } from '../types.ts';

/**
 * Products store local photos as absolute file paths, which mean nothing to a browser and should not be
 * disclosed. Responses replace each local path with a URL of this server that serves that photo by its
 * position in the product (`/products/{id}/images/{n}`, or `…/images/main` for a main image that is not
 * also in `images`); URLs stored in the product pass through untouched.
 */

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

export function isLocalImagePath(value: string): boolean {
  return !URL_SCHEME.test(value) && isAbsolute(value);
}

export function imageUrl(id: string, slot: number | 'main'): string {
  return `/products/${encodeURIComponent(id)}/images/${slot}`;
}

/** The stored path behind an image URL slot, or undefined when the product has no such local image. */
export function localImagePath(product: Product, slot: string): string | undefined {
  let path: string | undefined;
  if (slot === 'main') {
    path = product.image;
  } else if (/^(0|[1-9][0-9]{0,5})$/.test(slot)) {
    path = product.images?.[Number(slot)];
  }
  return path !== undefined && isLocalImagePath(path) ? path : undefined;
}

type WithImages = Pick<Product, 'id' | 'image' | 'images'>;

function rewriteImages<T extends WithImages>(item: T): T {
  if (item.image === undefined && item.images === undefined) return item;
  const out = { ...item };
  if (item.images !== undefined) {
    out.images = item.images.map((path, n) => (isLocalImagePath(path) ? imageUrl(item.id, n) : path));
  }
  if (item.image !== undefined && isLocalImagePath(item.image)) {
    const n = item.images?.indexOf(item.image) ?? -1;
    out.image = imageUrl(item.id, n >= 0 ? n : 'main');
  }
  return out;
}

export function rewriteHit(hit: SearchHit): SearchHit {
  return rewriteImages(hit);
}

export function rewriteProduct(product: Product): Product {
  return rewriteImages(product);
}
