import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { InformationKind } from '../../protocol';
import { documentContent, draft } from '../../client';
import { UsageError } from '../support/cli-errors';
import { contentFile, contentOption, findRequest, registerEventCommand } from '../support/event-command';

const KINDS: InformationKind[] = ['details', 'health', 'location', 'document'];

interface ShareOptions {
  kind: InformationKind;
  text?: string;
  file?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<ShareOptions>(program, {
    name: 'share <request>',
    summary: 'Share encrypted information about a request: details, health, location or a document',
    examples: [
      'parley share 42505acb --kind health --text "Vaccinations up to date; asthma, inhaler supplied."',
      'parley share 42505acb --kind document --file birth-certificate.pdf   # recipients keep it with parley save <seq>',
    ],
    options: (cmd) =>
      cmd
        .addOption(new Option('--kind <kind>', 'what is shared').choices(KINDS).makeOptionMandatory())
        .option('--text <text>', 'the information')
        .option('--file <file>', 'a document to attach (encrypted with the event)')
        .addOption(contentOption('encrypted content as a JSON object')),
    draft: ({ state, options: o, args: [ref] }) => {
      const request = findRequest(state, ref).id;
      const content = { ...(o.text !== undefined && { text: o.text }), ...(o.file && fileContent(o.file)), ...contentFile(o.content) };
      if (Object.keys(content).length === 0) throw new UsageError('nothing to share: give --text, --file or --content');
      return draft('RequestInformationShared', { request, kind: o.kind }, content);
    },
  });
}

function fileContent(path: string): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    return documentContent({ name: basename(path), bytes });
  } catch (err) {
    throw new UsageError(`--file ${path}: ${(err as Error).message}`);
  }
}
