import { createWriteStream, openSync, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import { LogLine } from '../../client';
import { action, withCommonOptions } from '../support/cli-context';
import { examples } from '../support/event-command';

export function register(program: Command): void {
  const cmd = withCommonOptions(
    program.command('export').description('Write the log as NDJSON, envelopes exactly as stored (for `parley audit`)'),
  )
    .option('--out <file>', 'write to a file instead of standard output')
    .option('--all', 'every channel in global order (GET /v1/export; a global auditor key)')
    .addHelpText('after', examples(['parley export --out channel.ndjson', 'parley export --all --keystore auditor.keystore > all.ndjson']));
  cmd.action(
    action(async (ctx) => {
      const o = cmd.opts() as { out?: string; all?: boolean };
      const http = await ctx.http();
      const lines: AsyncIterable<LogLine> = o.all ? http.exportAll() : http.events(await ctx.channel());
      const sink: NodeJS.WritableStream = o.out ? createWriteStream(o.out, { fd: openSync(o.out, 'wx') }) : process.stdout;
      let n = 0;
      for await (const { raw } of lines) {
        if (!sink.write(Buffer.concat([raw, Buffer.from('\n')]))) await once(sink, 'drain');
        n++;
      }
      if (o.out) {
        (sink as WriteStream).end();
        await once(sink, 'finish');
      }
      // The count goes to stderr: stdout may be the export itself.
      if (ctx.out.json && o.out) process.stdout.write(JSON.stringify({ ok: true, events: n, out: o.out }) + '\n');
      else process.stderr.write(`exported ${n} events${o.out ? ` to ${o.out}` : ''}\n`);
    }),
  );
}
