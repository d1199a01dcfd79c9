import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { EventAppended } from '../../channels/events/event-appended.event';
import { ProjectionService } from '../projection.service';

/** Appends made through this instance tell the lag gauge that the log grew. */
@EventsHandler(EventAppended)
export class NoteAppendedHandler implements IEventHandler<EventAppended> {
  constructor(private readonly projections: ProjectionService) {}

  handle(event: EventAppended): void {
    this.projections.runner.noteAppended(event.position);
  }
}
