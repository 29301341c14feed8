/**
 * Child process of the read-only store test (src/store/sqlite-store.test.ts). The parent runs it as an
 * unprivileged user when the tests run as root, because root ignores permission bits. Opens the store in
 * `dataDir`, tries one write, and prints the outcome as one JSON line.
 */
import { isSoukError } from '../src/errors.ts';
import { openSqliteStore } from '../src/store/sqlite-store.ts';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: store-readonly-child.ts <dataDir>');
try {
  const store = await openSqliteStore(dataDir);
  await store.upsert([{ id: 'x', title: 'X' }]);
  await store.close();
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
} catch (error) {
  process.stdout.write(
    JSON.stringify(
      isSoukError(error) ? { code: error.code, message: error.message } : { error: String(error) },
    ) + '\n',
  );
}
