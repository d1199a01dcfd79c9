import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { channelOfStream, EVENT_STORE, type EventStore } from '../../store/event-store.port';
import { ExportLogQuery } from './export-log.query';
import { READ_PAGE } from './read-events.handler';

@QueryHandler(ExportLogQuery)
export class ExportLogHandler implements IQueryHandler<ExportLogQuery, AsyncIterable<string>> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute(): Promise<AsyncIterable<string>> {
    return this.pages();
  }

  private async *pages(): AsyncGenerator<string> {
    let position: string | undefined;
    for (;;) {
      const page = await this.store.readAll(position, READ_PAGE);
      for (const e of page) {
        if (channelOfStream(e.stream)) yield e.data;
        position = e.position;
      }
      if (page.length < READ_PAGE) return;
    }
  }
}
