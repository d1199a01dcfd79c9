import { Command } from '@nestjs/cqrs';

/** How an agreement attempt ended. */
export type AgreementOutcome =
  /** This instance's TransferAgreed is stored. */
  | 'appended'
  /** Nothing to do: not pending any more (agreed by another instance, say), quorum not met, … */
  | 'not_due'
  /** Every bounded attempt failed; the startup sweep of the next start covers it. */
  | 'failed'
  /** The proposal or an acceptance it would cite does not verify as stored: never signed on. */
  | 'refused';

/** Agree `proposal` of `channel` if its quorum is met and it is still pending. */
export class AgreeTransferCommand extends Command<AgreementOutcome> {
  constructor(
    readonly channel: string,
    readonly proposal: string,
  ) {
    super();
  }
}
