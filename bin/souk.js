#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx) so a fresh clone needs no build step;
// a built `dist/` is preferred when present (published package).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(built)) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
