/**
 * What every command shares: the common options (server, keystore, passphrase file,
 * channel, --json), loading the keystore, the signed HTTP client, a caught-up channel
 * session, output, and the action wrapper that turns errors into messages and exit codes.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { isUuid } from '../../protocol';
import {
  ChannelIntegrityError,
  ChannelSession,
  DEFAULT_SERVER,
  isPlainHttpToAnotherHost,
  Keys,
  ParleyHttpClient,
  type SeenConflict,
  ServerUnreachableError,
  serverUrl,
  serverUrlProblem,
} from '../../client';
import { keystoreSavedSince, type OpenedKeystore, readKeystoreFile, saveKeystore } from '../../client/keystore-file';
import { scryptCostFromEnv } from '../../client/keystore';
import { describeFailure, EXIT, printFailure, UsageError } from './cli-errors';
import { passphrase, warnIfShared } from './passphrase';
import { standardInput } from './standard-input';
import { openingTermsNote } from './opening-terms';
import { Output, printable } from './output';

export interface CommonOptions {
  server: string;
  keystore?: string;
  passphraseFile?: string;
  channel?: string;
  json?: boolean;
}

/** `--server <url>`: PARLEY_SERVER, else DEFAULT_SERVER (http://127.0.0.1:3000). */
export function serverOption(description = 'Parley server'): Option {
  return new Option('--server <url>', description)
    .env('PARLEY_SERVER')
    .default(DEFAULT_SERVER)
    .argParser((value) => {
      if (value === '') return DEFAULT_SERVER; // PARLEY_SERVER= set but empty: as if unset
      // Commander quotes the value itself.
      const problem = serverUrlProblem(value);
      if (problem) throw new InvalidArgumentError(`It ${problem} (e.g. http://127.0.0.1:3000).`);
      return serverUrl(value);
    });
}

let warnedPlainHttp = false;

/** Said once, on standard error, before a command first talks to a server over plain http on the network. */
export function warnIfPlainHttp(server: string): void {
  if (warnedPlainHttp || !isPlainHttpToAnotherHost(server)) return;
  warnedPlainHttp = true;
  process.stderr.write(
    printable(
      `parley: warning: ${server} is plain http to another machine: bodies stay end-to-end encrypted, but each event's public meta ` +
        '(who sends what, when) and your signed requests cross the network in clear; use https://',
      true,
    ) + '\n',
  );
}

/**
 * Adds the options every command takes (each command carries them, so they work after its
 * name); `channel: false` and `server: false` for commands that use neither (keygen, whoami).
 */
export function withCommonOptions(cmd: Command, options: { channel?: boolean; server?: boolean } = {}): Command {
  if (options.server !== false) cmd.addOption(serverOption());
  cmd
    .addOption(new Option('--keystore <file>', 'your encrypted keystore').env('PARLEY_KEYSTORE'))
    .option('--passphrase-file <file>', 'read the keystore passphrase from a file (else PARLEY_PASSPHRASE, else a prompt)')
    .option('--json', 'machine-readable output (one JSON document)');
  if (options.channel !== false) {
    cmd.addOption(new Option('--channel <uuid>', "the channel (default: the keystore's only channel)").env('PARLEY_CHANNEL'));
  }
  return cmd;
}

export class CliContext {
  readonly out: Output;
  private loaded: { keys: Keys; passphrase: string; scryptN: number; version: string } | null = null;
  /** Channels whose log could not be read on at save (the server gone meanwhile): not compared. */
  private readonly unreadable = new Set<string>();

  constructor(readonly options: CommonOptions) {
    this.out = new Output(options.json === true);
  }

  get keystorePath(): string {
    if (!this.options.keystore) throw new UsageError('no keystore: give --keystore <file> or set PARLEY_KEYSTORE');
    return this.options.keystore;
  }

  async keys(): Promise<Keys> {
    if (!this.loaded) {
      const path = this.keystorePath;
      warnIfShared('the keystore', path);
      const pass = await passphrase(this.options, path);
      this.loaded = { ...readKeystoreFile(path, pass), passphrase: pass };
    }
    return this.loaded.keys;
  }

  /** The passphrase the keystore opened with (to seal a rotated key under the same one). */
  async passphrase(): Promise<string> {
    await this.keys();
    return this.loaded!.passphrase;
  }

  /** Records that this participant joined `channel` (sealed as the command ends: flush). */
  async remember(channel: string): Promise<void> {
    const keys = await this.keys();
    if (keys.channels.includes(channel)) return;
    keys.channels.push(channel);
    this.unsaved = true;
  }

  /**
   * Re-seals the loaded keystore in place, never at a lower scrypt cost than it had, merged
   * with what other commands saved meanwhile (saveKeystore).
   */
  private async save(): Promise<void> {
    const { keys, passphrase, scryptN } = this.loaded!;
    // Another command may save a later event between this one's reading on and its taking
    // the lock: then this one reads on again (a few rounds), rather than call it a fork.
    for (let round = 1; ; round++) {
      const opened = await this.reachEventsRememberedMeanwhile();
      const saved = await saveKeystore(this.keystorePath, keys, passphrase, {
        version: this.loaded!.version,
        opened,
        scryptN: Math.max(scryptN, scryptCostFromEnv()),
        replaced: this.replaced,
        // null: this command's log of the channel, read on to the other's event, ends before it;
        // undefined: no log to compare (not read here, or reading on failed).
        hashAt: (channel, seq) => {
          const session = this.sessions.get(channel);
          return session && !this.unreadable.has(channel) ? (session.view.entries[seq]?.hash ?? null) : undefined;
        },
        unlessBehind: round < SAVE_ROUNDS,
      });
      if (saved.behind) continue;
      this.loaded!.version = saved.version;
      for (const c of saved.conflicts) process.stderr.write(printable(conflictWarning(c), true) + '\n');
      return;
    }
  }

  async http(): Promise<ParleyHttpClient> {
    const keys = await this.keys();
    warnIfPlainHttp(this.options.server);
    return new ParleyHttpClient({ server: this.options.server, keys: keys.identity });
  }

  unsignedHttp(): ParleyHttpClient {
    warnIfPlainHttp(this.options.server);
    return new ParleyHttpClient({ server: this.options.server });
  }

  async channel(): Promise<string> {
    const given = this.options.channel;
    if (given !== undefined) {
      if (!isUuid(given)) throw new UsageError(`--channel (or PARLEY_CHANNEL) must be a lowercase uuid, not ${JSON.stringify(given)}`);
      return given;
    }
    const { channels } = await this.keys();
    if (channels.length === 1) return channels[0];
    throw new UsageError(
      channels.length === 0
        ? 'no channel: give --channel <uuid> (the keystore has joined none yet)'
        : `the keystore has joined ${channels.length} channels: choose one with --channel (${channels.join(', ')})`,
    );
  }

  /** Set by session({ acceptRestore }) when it gave up the log verified before: its last event. */
  restoreAccepted: { seq: number; hash: string } | null = null;
  /** The keystore changed (remember, rememberHead) since it was last sealed. */
  private unsaved = false;
  /** Channels whose remembered event rememberHead replaced on purpose (an accepted restore). */
  private readonly replaced = new Set<string>();
  /** The verified view of each channel this command remembers an event of, for the merge at save. */
  private readonly sessions = new Map<string, ChannelSession>();

  /**
   * A session on the channel, caught up and verified, and continuing the log this keystore
   * verified before (a forked or shortened channel is refused); the keystore then
   * remembers the newest event verified. `acceptRestore`: take the server's log although
   * it does not continue the one verified before (the server was restored from a backup),
   * and remember its head instead; `restoreAccepted` then says what was given up. `channel`:
   * that one rather than --channel's.
   */
  async session(options: { acceptRestore?: boolean; channel?: string } = {}): Promise<ChannelSession> {
    const keys = await this.keys();
    const channel = options.channel ?? (await this.channel());
    const session = new ChannelSession(await this.http(), keys, channel);
    const progress = verifyingProgress(channel);
    try {
      await session.sync({ onProgress: progress.update });
    } finally {
      progress.done();
    }
    // Said by every command, for as long as the channel holds them: the sender cheated this reader.
    for (const e of session.view.entries) {
      if (e.readability !== 'bad_body') continue;
      const what = `seq ${e.seq} (${e.envelope.type} from ${e.envelope.sender})`;
      process.stderr.write(printable(`parley: warning: ${what} is addressed to you but does not open (${e.problem}): its sender sealed it wrongly, and what it says is unknown to you`, true) + '\n');
    }
    const seen = keys.seen?.[channel];
    const terms = seen ? null : openingTermsNote(session.view.state, keys.id);
    if (terms) process.stderr.write(printable(terms, true) + '\n');
    let continues = true;
    if (seen) {
      try {
        session.checkContinues(seen);
      } catch (err) {
        if (!(err instanceof ChannelIntegrityError)) throw err;
        if (!options.acceptRestore) {
          err.message += `. If the server's operator restored it from a backup, accept its log as it is now with: parley status --accept-restore --channel ${channel}`;
          throw err;
        }
        this.restoreAccepted = seen;
        continues = false;
      }
    }
    await this.rememberHead(session, { replace: !continues });
    return session;
  }

  /**
   * Remembers in the keystore the newest event `session` verified or appended (unless an
   * older one is remembered and `replace` is not set), so that every later log of the
   * channel must continue it: a server that drops or forks it afterwards is caught. The
   * keystore is re-sealed once, when the command ends (flush), however often this is called:
   * each sealing costs a scrypt derivation.
   */
  async rememberHead(session: ChannelSession, options: { replace?: boolean } = {}): Promise<void> {
    this.sessions.set(session.channel, session);
    const keys = await this.keys();
    const seen = keys.seen?.[session.channel];
    const last = session.view.entries.at(-1);
    if (last && (!seen || options.replace || last.seq > seen.seq)) {
      keys.seen = { ...keys.seen, [session.channel]: { seq: last.seq, hash: last.hash } };
      if (options.replace) {
        this.replaced.add(session.channel);
        keys.restores = { ...keys.restores, [session.channel]: (keys.restores?.[session.channel] ?? 0) + 1 };
      }
      this.unsaved = true;
    }
  }

  /**
   * Another command on this keystore (a long `tail`, say) may have saved since this one read
   * it, remembering a later event of a channel than this command verified. This command's
   * view is read on to that event, so that the merge can tell whether it is of this log: a
   * server serving two histories to two commands at once is caught, not one pin dropped.
   */
  private async reachEventsRememberedMeanwhile(): Promise<OpenedKeystore | null> {
    const { passphrase, version } = this.loaded!;
    const onDisk = keystoreSavedSince(this.keystorePath, version, passphrase);
    for (const [channel, remembered] of Object.entries(onDisk?.keys.seen ?? {})) {
      const session = this.sessions.get(channel);
      if (!session || session.view.entries.length > remembered.seq || this.unreadable.has(channel)) continue;
      try {
        await session.sync();
      } catch (err) {
        // The command's work is done: its keystore is saved all the same, the other pin kept
        // unchecked. A server gone meanwhile is not worth a word; a log that does not verify is.
        this.unreadable.add(channel);
        if (!(err instanceof ServerUnreachableError)) {
          const { code, message } = describeFailure(err);
          process.stderr.write(printable(`parley: warning: channel ${channel}, read on to seq ${remembered.seq} (which another command on this keystore remembered): ${code}: ${message}`, true) + '\n');
        }
      }
    }
    return onDisk; // for the save, which then need not open the file again
  }

  /** Re-seals the keystore if the command changed what it remembers (action calls it as the command ends). */
  async flush(): Promise<void> {
    if (!this.unsaved) return;
    await this.save();
    this.unsaved = false;
  }
}

/** How often a save reads on to events other commands saved meanwhile before it reports a log that ends before one. */
const SAVE_ROUNDS = 4;

function conflictWarning(c: SeenConflict): string {
  const kept = `another command on this keystore remembered seq ${c.kept.seq} of channel ${c.channel} as ${c.kept.hash.slice(0, 12)}… (kept)`;
  const ours = `the log this command verified (to seq ${c.dropped.seq}, ${c.dropped.hash.slice(0, 12)}…)`;
  const what =
    c.reason === 'two_hashes'
      ? `which ${ours} does not hold: the server served two different histories`
      : `but ${ours}, read on, ends before it: the server cut the channel's log, or served two histories`;
  return `parley: warning: ${kept}, ${what}. See which it serves now: parley status --channel ${c.channel}`;
}

/**
 * On a terminal, a read of a long channel (every command verifies the whole log) says how far
 * it got, once it has taken more than PARLEY_PROGRESS_DELAY_MS (default 1 s): a silent wait
 * of seconds cannot be told from a hang. One line on standard error, cleared at the end.
 */
function verifyingProgress(channel: string): { update: (verified: number) => void; done: () => void } {
  const delayMs = Number(process.env.PARLEY_PROGRESS_DELAY_MS ?? 1000);
  if (!process.stderr.isTTY || !(delayMs >= 0)) return { update: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawnAt = 0;
  return {
    update: (verified) => {
      const now = Date.now();
      if (now - started < delayMs || now - drawnAt < 200) return;
      drawnAt = now;
      process.stderr.write(`\r\u001b[2Kparley: verifying channel ${channel}: ${verified} events…`);
    },
    done: () => {
      if (drawnAt > 0) process.stderr.write('\r\u001b[2K');
    },
  };
}

/**
 * Wraps a command's action: builds the context from the command's options, runs, and on
 * failure prints the error code and message (or a JSON error) and sets the exit code.
 */
export function action<A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: unknown[]): Promise<void> {
    const ctx = new CliContext(this.opts() as CommonOptions);
    try {
      // `--content -` (any command that takes it): read now, before a passphrase prompt may want the terminal.
      if ((this.opts() as { content?: unknown }).content === '-') standardInput();
      await run(ctx, ...(args.slice(0, this.registeredArguments.length) as A));
      await ctx.flush();
      process.exitCode ??= EXIT.ok;
    } catch (err) {
      // What the command verified before it failed is remembered all the same. Should sealing
      // fail too, the command's own error is the one reported.
      try {
        await ctx.flush();
      } catch {
        // reported below: err
      }
      const failure = describeFailure(err);
      printFailure(failure, ctx.out.json);
      process.exitCode = failure.exit;
    }
  };
}
