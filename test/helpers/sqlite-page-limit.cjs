/**
 * Disk-full stand-in for tests that cannot mount a small tmpfs: preloaded into a `souk` child process with
 * `NODE_OPTIONS=--require <this file>` (which, unlike --import, also runs in worker threads, where the
 * store's writer lives), it caps every connection to a `souk.db` at the pages it had when opened plus
 * SOUK_TEST_SQLITE_FREE_PAGES. SQLite then fails the write that would grow the file past the cap with
 * SQLITE_FULL ("database or disk is full"), exactly the error a full disk gives it.
 */
/* global process, require */
'use strict';

const free = Number(process.env.SOUK_TEST_SQLITE_FREE_PAGES);
if (process.env.SOUK_TEST_SQLITE_FREE_PAGES !== undefined && Number.isSafeInteger(free) && free >= 0) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a --require preload is CommonJS
  const Database = require('better-sqlite3');
  const capped = new WeakSet();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (...args) {
    if (!capped.has(this) && !this.readonly && /(^|[\\/])souk\.db$/.test(this.name)) {
      capped.add(this);
      const pages = prepare.call(this, 'PRAGMA page_count').pluck().get();
      prepare.call(this, `PRAGMA max_page_count = ${pages + free}`).get();
    }
    return prepare.apply(this, args);
  };
}
