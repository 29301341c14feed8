/**
 * Child process of the durability test (src/store/sqlite-store-durability.test.ts): writes small batches to
 * a SQLite store as fast as it can and prints one line per batch only after the write was acknowledged.
 * The parent kills it with SIGKILL mid-stream and then checks that everything acknowledged survived.
 * Line format: `ACK <batch> <id>=<price>,<id>=<price>… END`. Stops by itself after `seconds` (default 10).
 */
import { openSqliteStore } from '../src/store/sqlite-store.ts';
import type { Product } from '../src/types.ts';

const [dataDir, secondsArgument] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: store-kill-child.ts <dataDir> [seconds]');
const deadline = Date.now() + Number(secondsArgument ?? 10) * 1000;
const store = await openSqliteStore(dataDir);
process.stdout.write('READY\n');
for (let batch = 0; Date.now() < deadline; batch++) {
  const products: Product[] = [];
  for (let i = 0; i < 4; i++)
    products.push({ id: `p${batch}-${i}`, title: `Product ${batch}-${i}`, price: batch });
  // Also rewrite an older product with a higher price, so updates (not only inserts) are acknowledged.
  if (batch > 0) {
    const older = Math.floor(batch / 2);
    products.push({ id: `p${older}-0`, title: `Product ${older}-0`, price: batch });
  }
  await store.upsert(products);
  process.stdout.write(`ACK ${batch} ${products.map((p) => `${p.id}=${p.price}`).join(',')} END\n`);
}
await store.close();
process.stdout.write('DONE\n');
