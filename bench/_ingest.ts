import { createEngine } from '../src/engine.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const file = process.argv[2] ?? '/work/shared/datasets/homedepot/products.jsonl';
for (const mode of ['memory', 'sqlite']) {
  const dir = mkdtempSync(join(tmpdir(), 'souk-ingest-'));
  const engine = await createEngine({ dataDir: mode === 'memory' ? null : dir });
  const cpu0 = process.cpuUsage();
  const r = await engine.ingest(file);
  const c = process.cpuUsage(cpu0);
  const ms = (c.user + c.system) / 1000;
  console.log(
    mode,
    r.loaded,
    'products',
    ms.toFixed(0),
    'ms',
    Math.round(r.loaded / (ms / 1000)),
    'products/s',
  );
  const t2 = performance.now();
  await engine.close();
  console.log(' close (snapshot)', (performance.now() - t2).toFixed(0), 'ms');
  if (mode === 'sqlite') {
    const t3 = performance.now();
    const again = await createEngine({ dataDir: dir });
    console.log(
      ' reopen from snapshot',
      (performance.now() - t3).toFixed(0),
      'ms',
      (await again.stats()).products,
    );
    await again.close();
  }
  rmSync(dir, { recursive: true, force: true });
}
