/**
 * A private PostgreSQL server for tests: `initdb` into a temp directory and `postgres` on 127.0.0.1 at a
 * free port, trust authentication, stopped (and deleted) by `stop()`. Uses the Debian packages that
 * `.ci/run` installs (/usr/lib/postgresql/<version>/bin). PostgreSQL refuses to run as root, so under
 * root the server runs as the `postgres` system user. `SOUK_TEST_POSTGRES_URL` points the tests at an
 * existing server instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';

export interface PostgresServer {
  /** URL of the `souk` database (user `souk`, no password). */
  url: string;
  /** A fresh schema name for one test (tables of different tests never meet). */
  schema(): string;
  /** Runs one statement as a superuser (e.g. to terminate connections). */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  }
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

let schemas = 0;

function withAdmin(url: string): PostgresServer['admin'] {
  return async (sql, values) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end();
    }
  };
}

function schemaNames(): () => string {
  const prefix = `t${process.pid}_${Date.now().toString(36)}`;
  return () => `${prefix}_${++schemas}`;
}

/**
 * Starts a server (or uses SOUK_TEST_POSTGRES_URL); undefined, with a note in the test output, when
 * PostgreSQL is not installed here (CI always installs it).
 */
export async function startPostgres(t: TestContext): Promise<PostgresServer | undefined> {
  const external = process.env.SOUK_TEST_POSTGRES_URL;
  if (external) {
    return { url: external, schema: schemaNames(), admin: withAdmin(external), stop: async () => undefined };
  }
  const bin = postgresBin();
  if (!bin) {
    t.diagnostic('skipped: PostgreSQL is not installed (apt-get install postgresql; .ci/run does)');
    return undefined;
  }
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'souk-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'souk', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { encoding: 'utf8', ...asUser },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Tests do not survive power cuts; fsync off keeps them fast. Durability of commits is PostgreSQL's.
      '-c',
      'fsync=off',
      '-c',
      'max_connections=100',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], ...asUser },
  );
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const root = `postgres://souk@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const client = new pg.Client({ connectionString: root });
      await client.connect();
      await client.query('CREATE DATABASE souk');
      await client.end();
      break;
    } catch (error) {
      if (server.exitCode !== null || Date.now() > deadline) {
        server.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const url = `postgres://souk@127.0.0.1:${port}/souk`;
  return {
    url,
    schema: schemaNames(),
    admin: withAdmin(url),
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait on fsync=off
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
