import { Command } from 'commander';
import { draft, ProposalContent } from '../../client';
import { contentFile, contentOption, findProposal, findRequest, list, registerEventCommand } from '../support/event-command';

interface ProposeOptions {
  requests: string;
  terms: string;
  location?: string;
  from?: string;
  until?: string;
  supersedes?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<ProposeOptions>(program, {
    name: 'propose',
    summary: 'Propose terms for the return of one or more requests; --supersedes makes it a counter-proposal',
    examples: [
      'parley propose --requests 42505acb,55c80ac6 --terms "Both persons, escorted by the mediator." --location "Crossing B" --from 2026-10-24 --until 2026-10-25',
      'parley propose --requests 42505acb --terms "One person first." --supersedes 7f10312f',
    ],
    options: (cmd) =>
      cmd
        .requiredOption('--requests <ids>', 'comma-separated request ids (or unique prefixes)')
        .requiredOption('--terms <text>', 'the terms')
        .option('--location <place>', 'handover location')
        .option('--from <date>', 'handover window start')
        .option('--until <date>', 'handover window end')
        .option('--supersedes <proposal>', 'the pending proposal this one replaces')
        .addOption(contentOption('extra encrypted fields, JSON')),
    draft: ({ state, options: o, newId }) => {
      const requests = [...new Set(list(o.requests).map((r) => findRequest(state, r).id))].sort();
      const supersedes = o.supersedes ? findProposal(state, o.supersedes).id : undefined;
      const window = o.from || o.until ? { window: { ...(o.from && { from: o.from }), ...(o.until && { to: o.until }) } } : {};
      const content: ProposalContent = { terms: o.terms, handover: { ...(o.location && { location: o.location }), ...window }, ...contentFile(o.content) };
      return draft('ProposalSubmitted', { proposal: newId, requests, ...(supersedes && { supersedes }) }, content);
    },
    report: ({ newId }) => ({ proposal: newId }),
  });
}
