import { Command } from '@nestjs/cqrs';

/** What an append answers (DESIGN.md Part 3): 201 for a new event, 200 for an identical retry. */
export interface AppendResult {
  created: boolean;
  seq: number;
  hash: string;
  position: string;
}

/**
 * Append one envelope to a channel. `envelope` is the strictly parsed JSON body; the
 * handler runs `check` from src/protocol and appends with expected revision seq−1.
 * Failures are thrown as AppendRejected (see append-rejected.error.ts).
 */
export class AppendEventCommand extends Command<AppendResult> {
  constructor(
    readonly channel: string,
    readonly envelope: unknown,
  ) {
    super();
  }
}
