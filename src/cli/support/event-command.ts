/**
 * The shape shared by every command that appends an event: common options, a draft made
 * from the caught-up channel state (made again if the head moves and the event is
 * re-signed), the local rule check and submission by the SDK, and one report.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ChannelState, decodeUtf8Strict, parseStrictJson, ProposalState, RequestState, violation } from '../../protocol';
import { ChannelView, Draft, Keys, RuleViolationError, Submitted } from '../../client';
import { action, CliContext, withCommonOptions } from './cli-context';
import { UsageError } from './cli-errors';
import { standardInput } from './standard-input';

export interface DraftInput<O> {
  state: ChannelState;
  /** The verified, decrypted view `state` belongs to (what this participant could read). */
  view: ChannelView;
  keys: Keys;
  options: O;
  args: string[];
  /** A uuid made once per invocation (a new request or proposal id survives re-signing). */
  newId: string;
}

export interface EventCommandSpec<O> {
  /** Commander's name with arguments, e.g. `accept <proposal>`. */
  name: string;
  summary: string;
  examples: string[];
  options?: (cmd: Command) => void;
  /** Checks of the options and arguments alone, before the keystore is opened or the server asked (throw UsageError). */
  check?: (options: O, args: string[]) => void;
  draft: (input: DraftInput<O>) => Draft;
  /** Extra fields for the report (a new request's id, say). */
  report?: (input: DraftInput<O>, submitted: Submitted) => Record<string, string>;
}

export function registerEventCommand<O>(program: Command, spec: EventCommandSpec<O>): Command {
  const cmd = withCommonOptions(program.command(spec.name).description(spec.summary));
  spec.options?.(cmd);
  cmd.addHelpText('after', examples(spec.examples));
  cmd.action(
    action(async (ctx: CliContext, ...args: string[]) => {
      const options = cmd.opts() as O;
      spec.check?.(options, args);
      const session = await ctx.session();
      const keys = await ctx.keys();
      const newId = randomUUID();
      let last: DraftInput<O> | null = null;
      const submitted = await session.submit((state) => spec.draft((last = { state, view: session.view, keys, options, args, newId })));
      await ctx.rememberHead(session);
      const extra = spec.report?.(last!, submitted) ?? {};
      reportSubmitted(ctx, submitted, extra);
    }),
  );
  return cmd;
}

export function reportSubmitted(ctx: CliContext, s: Submitted, extra: Record<string, string> = {}): void {
  const data = { ok: true, type: s.envelope.type, id: s.envelope.id, seq: s.seq, hash: s.hash, position: s.position, attempts: s.attempts, ...extra };
  ctx.out.result(data, () => {
    const lines = [`${s.envelope.type} appended at seq ${s.seq} (hash ${s.hash.slice(0, 16)}…)`];
    if (s.attempts > 1) lines.push(`  the head had moved: re-signed ${s.attempts - 1} time(s)`);
    for (const [k, v] of Object.entries(extra)) lines.push(`  ${k}: ${v}`);
    return lines.join('\n');
  });
}

export function examples(lines: string[]): string {
  return '\nExamples:\n' + lines.map((l) => `  $ ${l}`).join('\n');
}

/** A request by id or unique id prefix (tables show 8 digits). */
export function findRequest(state: ChannelState, ref: string): RequestState {
  return unique(state.requests, ref, 'unknown_request', 'request');
}

export function findProposal(state: ChannelState, ref: string): ProposalState {
  return unique(state.proposals, ref, 'unknown_proposal', 'proposal');
}

/**
 * `withdraw <id>`: a request or a proposal, by id or by a prefix unique across both, so
 * that a prefix of one never silently picks the other.
 */
export function findRequestOrProposal(state: ChannelState, ref: string): { request: RequestState } | { proposal: ProposalState } {
  const requests = matches(state.requests, ref);
  const proposals = matches(state.proposals, ref);
  if (requests.length + proposals.length > 1) {
    throw new UsageError(`${ref} names ${describe(requests.length, 'request')} and ${describe(proposals.length, 'proposal')}: give more of the id`);
  }
  if (requests.length) return { request: state.requests.get(requests[0])! };
  if (proposals.length) return { proposal: state.proposals.get(proposals[0])! };
  throw new RuleViolationError(violation('unknown_request', `no request or proposal ${ref} in this channel`));
}

function unique<T>(map: Map<string, T>, ref: string, code: 'unknown_request' | 'unknown_proposal', what: string): T {
  const hits = matches(map, ref);
  if (hits.length === 1) return map.get(hits[0])!;
  if (hits.length > 1) throw new UsageError(`${ref} names ${hits.length} ${what}s: give more of the id`);
  throw new RuleViolationError(violation(code, `no ${what} ${ref} in this channel`));
}

/** The id itself if the map holds it, else every id it prefixes (4 characters at least; ids are lowercase). */
function matches(map: Map<string, unknown>, given: string): string[] {
  const ref = given.toLowerCase();
  if (map.has(ref)) return [ref];
  if (ref.length < 4) throw new UsageError(`${JSON.stringify(given)} is too short to name an id: give at least 4 of its characters (tables show 8)`);
  return [...map.keys()].filter((id) => id.startsWith(ref));
}

function describe(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/**
 * `--content <file>`: encrypted fields as a JSON object, from a file or (`-`) standard input.
 * Either keeps names and health details off the command line, where other users of the
 * machine (the process list) and the shell history would see them.
 */
export function contentOption(description: string): Option {
  return new Option('--content <file>', `${description}; - reads it from standard input`);
}

/** `--content <file>`: a JSON object merged over what the flags say. */
export function contentFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    return parseStrictJson(path === '-' ? standardInput() : decodeUtf8Strict(readFileSync(path)));
  } catch (err) {
    throw new UsageError(`--content ${path}: ${(err as Error).message}`);
  }
}

/** An optional body: `{note}` and/or `--content`, or no body at all. */
export function optionalNote(options: { note?: string; content?: string }, key = 'note'): Record<string, unknown> | null {
  const content = { ...(options.note !== undefined ? { [key]: options.note } : {}), ...contentFile(options.content) };
  return Object.keys(content).length ? content : null;
}

export function noteOptions(cmd: Command, key = 'note'): void {
  cmd.option(`--${key} <text>`, `an encrypted ${key} for the recipients`).addOption(contentOption('encrypted content as a JSON object file'));
}

export const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);
