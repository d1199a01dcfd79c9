import { Command, Option } from 'commander';
import { HandoverStep, violation } from '../../protocol';
import { draft, RuleViolationError } from '../../client';
import { findRequest, noteOptions, optionalNote, registerEventCommand } from '../support/event-command';

interface HandoverOptions {
  step: HandoverStep;
  note?: string;
  content?: string;
}

export function register(program: Command): void {
  registerEventCommand<HandoverOptions>(program, {
    name: 'handover <request>',
    summary: 'Confirm a handover step of an agreed transfer: the holder confirms "released", the requesting side "received"',
    examples: ['parley handover 42505acb --step released --note "Released 10:05"', 'parley handover 42505acb --step received'],
    options: (cmd) => {
      cmd.addOption(new Option('--step <step>', 'the step you confirm').choices(['released', 'received']).makeOptionMandatory());
      noteOptions(cmd);
    },
    draft: ({ state, options, args: [ref] }) => {
      const r = findRequest(state, ref);
      if (!r.transfer) throw new RuleViolationError(violation('invalid_transition', `request ${r.id} is not part of an agreed transfer (it is ${r.status})`));
      return draft('HandoverConfirmed', { proposal: r.transfer, request: r.id, step: options.step }, optionalNote(options));
    },
  });
}
