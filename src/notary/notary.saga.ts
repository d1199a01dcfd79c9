import { Injectable } from '@nestjs/common';
import { ICommand, IEvent, ofType, Saga } from '@nestjs/cqrs';
import { filter, map, Observable } from 'rxjs';
import { EventAppended } from '../channels/events/event-appended.event';
import type { Envelope } from '../protocol';
import { AgreeTransferCommand } from './agree-transfer.command';

/** An acceptance may complete a quorum: each one asks the notary to decide. */
@Injectable()
export class NotarySaga {
  @Saga()
  acceptances = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(EventAppended),
      filter((e) => e.envelope.type === 'ProposalAccepted'),
      map((e) => new AgreeTransferCommand(e.channel, (e.envelope as Envelope<'ProposalAccepted'>).meta.proposal)),
    );
}
