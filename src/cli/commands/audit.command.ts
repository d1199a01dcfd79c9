/**
 * `parley audit`: replays a log and verifies all of it without trusting the server (issue 6).
 * `parley audit verify-report <file>`: checks a report signed with `--sign`.
 * Exit codes: 0 clean (or a valid report), 1 a violation (or an invalid report), 2 unusable
 * input or arguments (a server refusal included: nothing was audited), 3 server unreachable.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { availableParallelism, constants as osConstants } from 'node:os';
import { auditStream, AuditProgress } from '../../audit/audit-stream';
import { auditReportOf, formatAuditReport } from '../../audit/audit-report';
import { UnusableInputError } from '../../audit/line-batches';
import { signAuditReport, verifyAuditReport } from '../../audit/signed-report';
import { serverLog } from '../../audit/server-log';
import { pinsOf, rememberedOf, rememberedViolations } from '../../client/channel-session';
import { ApiError, ChannelIntegrityError, KeystoreError } from '../../client/errors';
import { ParleyHttpClient, RequestKeys } from '../../client/http-client';
import { readKeystore } from '../../client/keystore-file';
import { isUuid, safetyNumber } from '../../protocol';
import { describeFailure, EXIT, Failure, printFailure, UsageError } from '../support/cli-errors';
import { serverOption, warnIfPlainHttp } from '../support/cli-context';
import { examples } from '../support/event-command';
import { passphrase } from '../support/passphrase';
import { printable, warnRememberedAbsent } from '../support/output';

interface AuditOptions {
  file?: string;
  server: string;
  channel?: string;
  all?: boolean;
  keystore?: string;
  passphraseFile?: string;
  json?: boolean;
  sign?: boolean;
  workers: number;
  quiet?: boolean;
}

function positiveInt(max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0 || n > max || !/^\d+$/.test(text)) throw new InvalidArgumentError(`an integer from 0 to ${max}`);
    return n;
  };
}

export function register(program: Command): void {
  const audit = program
    .command('audit')
    .description('Verify a log: chain, signatures, proofs, recipients, every rule; as a recipient, every body')
    .option('--file <path>', 'NDJSON log to audit ("-" for standard input; channels may be interleaved)')
    .addOption(serverOption('the Parley server --channel and --all read from (signed requests)'))
    .option('--channel <uuid>', 'the channel to audit, read from --server')
    .option('--all', 'every channel, read from --server (GET /v1/export, a global auditor key)')
    .addOption(new Option('--keystore <file>', 'the auditor keystore: signs requests and reports, opens bodies addressed to it').env('PARLEY_KEYSTORE'))
    .option('--passphrase-file <file>', 'read the keystore passphrase from a file (else PARLEY_PASSPHRASE, else a prompt)')
    .option('--json', 'print the report as JSON')
    .option('--sign', 'sign the report with the keystore (implies --json)')
    .addOption(
      new Option('--workers <n>', 'worker threads verifying signatures (0: none)').argParser(positiveInt(256)).default(availableParallelism(), 'the CPU count'),
    )
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      examples([
        'parley audit --file export.ndjson',
        'parley audit --file - --json < export.ndjson',
        'parley audit --server https://parley.example --channel 82fd7cdf-2cdb-4b4a-ac0b-62b6f56f8c6f --keystore auditor.keystore',
        'parley audit --all --keystore global-auditor.keystore',
        'parley audit --file export.ndjson --keystore auditor.keystore --sign > report.json',
        'parley audit verify-report report.json',
      ]) + '\n\nExit: 0 clean, 1 violations, 2 unusable input or arguments (a server refusal included), 3 server unreachable.',
    )
    .action(async (options: AuditOptions) => {
      process.exitCode = await runAudit(options);
    });

  audit
    .command('verify-report <file>')
    .description('check a report signed with `parley audit --sign`: exit 0 valid, 1 not valid')
    .addHelpText(
      'after',
      examples([
        'parley audit verify-report report.json',
        'parley audit --file export.ndjson --keystore auditor.keystore --sign > report.json && parley audit verify-report report.json',
      ]) + '\n\nExit: 0 valid, 1 not valid, 2 the file cannot be read.',
    )
    .option('--json', 'the verdict as one JSON document: { valid, reason } or { valid, signer (its id), fingerprint, safetyNumber, signedAt, ok, events, channels, violations (these two counted) }')
    .action((file: string, _options: unknown, cmd: Command) => {
      // --json may land on `audit` itself, which has one too.
      process.exitCode = verifyReportFile(file, cmd.optsWithGlobals<{ json?: boolean }>().json === true);
    });
}

async function runAudit(options: AuditOptions): Promise<number> {
  let bar: SingleBar | null = null;
  try {
    const sources = [options.file !== undefined, options.channel !== undefined || options.all === true].filter(Boolean).length;
    if (sources === 2) throw new UsageError('give --file, or --channel or --all, not both: --file audits a log on disk, --channel and --all the one --server serves');
    if (sources !== 1) throw new UsageError('give --file, or --channel or --all (the log then comes from --server)');
    if (options.channel !== undefined && options.all) throw new UsageError('give --channel or --all, not both');
    if (options.channel !== undefined && !isUuid(options.channel)) throw new UsageError('--channel must be a channel uuid');
    const keys = options.keystore ? readKeystore(options.keystore, await passphrase(options, options.keystore)) : null;
    if (options.sign && !keys) throw new UsageError('--sign needs --keystore');

    const showBar = !options.quiet && process.stderr.isTTY === true;
    let chunks: AsyncIterable<Uint8Array>;
    // What the bar counts towards, when it is known: a file's bytes, a channel's events.
    let total: Total | null = null;
    if (options.file !== undefined) {
      if (options.file === '-') chunks = process.stdin;
      else {
        total = { of: 'bytes', n: fileSize(options.file) };
        chunks = createReadStream(options.file, { highWaterMark: 256 * 1024 });
      }
    } else {
      if (!keys) throw new UsageError('a server answers signed requests only: give --keystore');
      warnIfPlainHttp(options.server);
      chunks = serverLog(options.server, keys.identity, options.all ? { all: true } : { channel: options.channel! });
      if (showBar && options.channel !== undefined) total = await channelLength(options.server, keys.identity, options.channel);
    }
    // The events this keystore verified last (other commands remember them): a log from the
    // server must still hold each of its channels' (the one audited, or all with --all), or
    // the server cut or forked that channel since. A file may be any part of a log: not checked.
    const seen = options.file !== undefined ? {} : rememberedOf(keys?.seen, options.channel ?? null);

    bar = showBar ? progressBar(total) : null;
    const started = Date.now();
    const onProgress = bar
      ? (p: AuditProgress) => {
          const rate = Math.round(p.lines / Math.max(0.001, (Date.now() - started) / 1000));
          if (total === null) return bar!.update(p.lines, { events: p.lines, rate });
          // Events appended after the head was read are audited too: the end moves with them.
          if (total.of === 'events' && p.lines > bar!.getTotal()) bar!.setTotal(p.lines);
          bar!.update(total.of === 'bytes' ? p.bytes : p.lines, { events: p.lines, rate });
        }
      : undefined;
    const log = await auditStream(chunks, {
      workers: options.workers,
      reader: keys ? { id: keys.id, boxSecret: keys.boxSecret } : undefined,
      channel: options.channel,
      pins: pinsOf(seen),
      onProgress,
    });
    bar?.stop();
    bar = null;
    // Nothing read is nothing verified: an empty file or answer (a channel without events is
    // 404 at the server) must not read as a clean audit.
    if (log.events === 0) {
      const source =
        options.file === '-' ? 'standard input holds' : options.file !== undefined ? `${options.file} holds` : options.channel !== undefined ? `the server answered for channel ${options.channel}` : 'the export holds';
      throw new UnusableInputError(`${source} no events: nothing was audited`);
    }

    // Failing what this keystore remembers is a verdict on the log like any other: in the report.
    const remembered = rememberedViolations(log, seen);
    log.violations.push(...remembered.violations);
    log.ok &&= remembered.violations.length === 0;
    for (const channel of remembered.absent) warnRememberedAbsent(channel, 'log');
    const report = auditReportOf(log);
    if (options.sign) process.stdout.write(JSON.stringify(signAuditReport(report, { ...keys!.identity, id: keys!.id }), null, 2) + '\n');
    else if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
    // Violation messages and channel names quote what the log holds: each shown on one line, escaped.
    else process.stdout.write(formatAuditReport(report, (text) => printable(text, true)));
    return report.ok ? EXIT.ok : EXIT.refused;
  } catch (err) {
    bar?.stop();
    const failure = auditFailure(err);
    if (!failure) throw err;
    // With --json (or --sign) the failure is the one document on stdout, as for every command;
    // the human line stays on stderr, where audit has always said why.
    if (options.json || options.sign) printFailure(failure, true);
    printFailure(failure, false);
    return failure.exit;
  }
}

/**
 * What went wrong, in every command's terms (describeFailure), with the audit's exit codes:
 * 3 unreachable; 2 whatever left nothing audited — arguments, input, keystore, and a server
 * refusal too (for other commands a refusal is a verdict, 1). Null for a bug.
 */
function auditFailure(err: unknown): Failure | null {
  const failure = describeFailure(err);
  if (failure.exit === EXIT.unreachable) return failure; // out of reach, or failing for now (5xx): 3, as for every command
  if (err instanceof ChannelIntegrityError) return failure; // the log does not verify: 1
  if (err instanceof UnusableInputError) return { exit: EXIT.usage, code: 'unusable_input', message: err.message };
  if (err instanceof UsageError || err instanceof KeystoreError || err instanceof ApiError) return { ...failure, exit: EXIT.usage };
  const errno = (err as NodeJS.ErrnoException).code; // unreadable input (ENOENT, EISDIR, …)
  if (errno !== undefined) return { exit: EXIT.usage, code: 'unreadable_input', message: (err as Error).message };
  return null;
}

function fileSize(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`${path} is not a file`);
    return st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

interface Total {
  of: 'bytes' | 'events';
  n: number;
}

/**
 * How many events the channel holds now: its head's `seq` is the next seq, so the count
 * (GET /v1/channels/{c}/head). Only for the bar: if the head cannot be read, the bar goes
 * without a total, and the log's own read says why.
 */
async function channelLength(server: string, keys: RequestKeys, channel: string): Promise<Total | null> {
  try {
    return { of: 'events', n: (await new ParleyHttpClient({ server, keys }).head(channel)).seq };
  } catch {
    return null;
  }
}

/** With a total: percentage and ETA; without (standard input, --all): events and events/s. */
function progressBar(total: Total | null): SingleBar {
  const format =
    total === null
      ? 'auditing | {events} events | {rate} events/s'
      : 'auditing [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}';
  // A short bar keeps the ETA within 80 columns (the terminal clips a longer line, it does not wrap it).
  const bar = new InterruptibleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, fps: 5, barsize: 16 });
  bar.start(total?.n ?? 0, 0, { events: 0, rate: 0 });
  return bar;
}

/**
 * A bar that gives the terminal back its cursor and line wrap (which it turns off while
 * drawing) when the audit is interrupted (Ctrl-C, SIGTERM), then ends the process as the
 * signal would have: 128 + its number.
 */
class InterruptibleBar extends SingleBar {
  private readonly interrupted = (signal: NodeJS.Signals): void => {
    super.stop();
    process.exit(128 + osConstants.signals[signal]);
  };

  override start(total: number, startValue: number, payload?: object): void {
    process.once('SIGINT', this.interrupted).once('SIGTERM', this.interrupted);
    super.start(total, startValue, payload);
  }

  override stop(): void {
    process.off('SIGINT', this.interrupted).off('SIGTERM', this.interrupted);
    super.stop();
  }
}

function verifyReportFile(file: string, json: boolean): number {
  let text: Buffer;
  try {
    text = readFileSync(file); // bytes: verifyAuditReport decodes them strictly
  } catch (err) {
    printFailure({ exit: EXIT.usage, code: 'usage', message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }, json);
    return EXIT.usage;
  }
  const check = verifyAuditReport(text);
  if (!check.valid) {
    process.stdout.write(json ? JSON.stringify({ valid: false, reason: check.reason }) + '\n' : printable(`NOT VALID: ${check.reason}`, true) + '\n');
    return EXIT.refused;
  }
  const { report } = check;
  const { id, fingerprint } = report.signer;
  if (json) {
    const verdict = { ok: report.ok, events: report.events, channels: report.channels.length, violations: report.violations.length };
    process.stdout.write(JSON.stringify({ valid: true, signer: id, fingerprint, safetyNumber: safetyNumber(fingerprint), signedAt: report.signedAt, ...verdict }) + '\n');
    return EXIT.ok;
  }
  // Checked fields only, and escaped all the same: a report is a file anyone may have written.
  process.stdout.write(
    printable(`VALID: signed by ${id} at ${report.signedAt}`, true) +
      '\n' +
      `  fingerprint ${safetyNumber(fingerprint)} (compare it with the auditor out of band)\n` +
      `  verdict: ${report.ok ? 'no violation' : `${report.violations.length} violation(s)`} in ${report.events} event(s) of ${report.channels.length} channel(s)\n`,
  );
  return EXIT.ok;
}
