import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LUMA_CATALOGUE = fileURLToPath(new URL('../../examples/luma/products.jsonl', import.meta.url));
export const LUMA_IMAGES = fileURLToPath(new URL('../../examples/luma/images/', import.meta.url));
export const SOUK_BIN = fileURLToPath(new URL('../../bin/souk.js', import.meta.url));
export const LUMA_PRODUCT_COUNT = 191;
