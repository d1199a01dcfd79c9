import { Query } from '@nestjs/cqrs';

/** Stored envelope texts of a channel from seq `from` on, at most `limit`, read page by page as consumed. */
export class ReadEventsQuery extends Query<AsyncIterable<string>> {
  constructor(
    readonly channel: string,
    readonly from: number,
    readonly limit: number,
  ) {
    super();
  }
}
