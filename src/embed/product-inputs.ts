import { hashCanonicalJson } from '../catalog/product-schema.ts';
import type { Product } from '../types.ts';

/** Attribute names whose values describe what a product is (and so belong in its embedded text). */
const DESCRIPTIVE_ATTRIBUTES = /^(colou?r|material|style|pattern|gender|type|activity|fit|shape|flavou?r)$/i;

/**
 * The text a product is embedded from: its title, brand (unless the title already names it), category
 * path and a few descriptive attributes. Short on purpose: sentence encoders give most weight to what
 * comes first, and long descriptions drown the title's few distinctive words.
 */
export function productEmbeddingText(product: Product): string {
  const parts = [product.title];
  if (product.brand && !product.title.toLowerCase().includes(product.brand.toLowerCase())) {
    parts.push(product.brand);
  }
  if (product.category && product.category.length > 0) parts.push(product.category.join(' > '));
  for (const [name, value] of Object.entries(product.attributes ?? {})) {
    if (!DESCRIPTIVE_ATTRIBUTES.test(name)) continue;
    const values = Array.isArray(value) ? value.slice(0, 4) : [value];
    parts.push(values.map(String).join(', '));
  }
  return parts.join('. ');
}

/** Content hash of embedded text: equal text, equal vector, whichever product it belongs to. */
export function textContentHash(text: string): string {
  return hashCanonicalJson(text);
}

/** The product's photo that represents it in the image space: `image`, else the first of `images`. */
export function primaryImage(product: Product): string | undefined {
  return product.image ?? product.images?.[0];
}
