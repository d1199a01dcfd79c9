/**
 * For end-to-end tests of the CLI: a real service process (`node dist/src/main.js`, built
 * by `npm test`'s pretest) on a free loopback port with its own data directory, and the
 * real `parley` binary run as a child process.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SQLITE_FILE_NAME } from '../../src/store/event-store.factory';

const ROOT = resolve(__dirname, '..', '..');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export class ServerProcess {
  private child: ChildProcess | null = null;
  private output = '';
  // Made in start(): a describe whose tests are all filtered out never runs afterAll.
  private dataDir: string | null = null;
  url = '';

  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const port = await freePort();
    this.dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-data-'));
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', PARLEY_DATA_DIR: this.dataDir, PARLEY_STORE: 'sqlite', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c) => (this.output += c));
    this.child.stderr!.on('data', (c) => (this.output += c));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`the server exited (${this.child.exitCode}):\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/v1/notary`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the server did not answer within 20 s:\n${this.output}`);
  }

  /** The server's SQLite store file (to write past the service, as a tampered database would). */
  get storeFile(): string {
    return join(this.dataDir!, SQLITE_FILE_NAME);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is one document. */
  json: any;
}

/** Runs `parley <args>` with the environment given (PARLEY_SERVER, PARLEY_KEYSTORE, ...), in the repository root unless `cwd` says, `input` on its standard input. */
export function parley(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [join(ROOT, 'bin', 'parley'), ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        // human output
      }
      resolvePromise({ code: typeof code === 'number' ? code : 1, stdout, stderr, json });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** Spawns a long-running `parley` (tail), or another script of the repository, and collects its output. */
export function parleyBackground(
  args: string[],
  env: NodeJS.ProcessEnv,
  script: string[] = [join(ROOT, 'bin', 'parley')],
): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number> } {
  const child = spawn(process.execPath, [...script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  // 'close': the pipes are drained by then, so stdout() holds all it wrote.
  const exited = new Promise<number>((r) => child.once('close', (code) => r(code ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Runs `parley <args>` on a real pseudo-terminal (util-linux `script`), typing each answer
 * once its prompt has appeared: typed earlier, the terminal would still echo it.
 * Returns everything the terminal showed. `redirect` takes standard input from a file, or
 * sends standard output to one (then the screen shows standard error alone).
 */
export function parleyInTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  answers: [prompt: string, typed: string][],
  redirect: { stdin?: string; stdout?: string } = {},
): Promise<{ code: number; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [
    [process.execPath, join(ROOT, 'bin', 'parley'), ...args].map(quote).join(' '),
    ...(redirect.stdin !== undefined ? [`< ${quote(redirect.stdin)}`] : []),
    ...(redirect.stdout !== undefined ? [`> ${quote(redirect.stdout)}`] : []),
  ].join(' ');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let answered = 0;
    let from = 0; // each prompt is looked for after the previous one
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout!.on('data', (c) => {
      screen += c;
      const next = answers[answered];
      const at = next ? screen.indexOf(next[0], from) : -1;
      if (at >= 0) {
        from = at + next[0].length;
        answered++;
        child.stdin!.write(next[1] + '\r');
      }
    });
    child.stderr!.on('data', (c) => (screen += c));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin!.destroy();
      resolvePromise({ code: code ?? -1, screen });
    });
  });
}
