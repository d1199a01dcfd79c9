import { Command, Option } from 'commander';
import { draft, RequestContent } from '../../client';
import { UsageError } from '../support/cli-errors';
import { contentFile, contentOption, registerEventCommand } from '../support/event-command';

interface RequestOptions {
  holder: string;
  category: 'minor' | 'adult-displaced-as-minor';
  name?: string;
  born?: string;
  contact?: string;
  relation?: string;
  notes?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<RequestOptions>(program, {
    name: 'request',
    summary: 'Ask for the return of a person held by another side; names and family are encrypted',
    examples: [
      'parley request --holder ru --category minor --name "Child One" --born 2015-03-02 --contact "Parent One" --relation mother',
      'parley request --holder ru --category adult-displaced-as-minor --content person.json',
    ],
    options: (cmd) =>
      cmd
        .requiredOption('--holder <party>', 'the side holding the person')
        .addOption(new Option('--category <category>', 'who the person is').choices(['minor', 'adult-displaced-as-minor']).default('minor'))
        .option('--name <full name>', "the person's full name")
        .option('--born <date>', 'date of birth')
        .option('--contact <name>', 'the family contact')
        .option('--relation <relation>', "the contact's relation to the person")
        .option('--notes <text>', 'notes', '')
        .addOption(contentOption('encrypted content as JSON ({person, family, notes, ...}); overrides the flags')),
    // A request must say whom it is for: a record with no detail at all can be matched to nobody.
    check: (o) => {
      if (o.content === undefined && [o.name, o.born, o.contact].every((v) => v === undefined) && !o.notes) {
        throw new UsageError('say whom the request is for: give --name, --born, --contact or --notes (or --content with a file)');
      }
    },
    draft: ({ options: o, newId }) => {
      const content: RequestContent = {
        person: { ...(o.name !== undefined && { fullName: o.name }), ...(o.born !== undefined && { dateOfBirth: o.born }) },
        family: { ...(o.contact !== undefined && { contactName: o.contact }), ...(o.relation !== undefined && { relation: o.relation }) },
        notes: o.notes ?? '',
        ...contentFile(o.content),
      };
      return draft('ReunificationRequested', { request: newId, category: o.category, holder: o.holder }, content);
    },
    report: ({ newId }) => ({ request: newId }),
  });
}
