import { Query } from '@nestjs/cqrs';
import type { DisplayStatus, RequestItem } from '../read-model-rows';

/** Requests of the given channels (null: every channel), `open` = not reunited or withdrawn, else that exact status. */
export class OpenRequestsQuery extends Query<RequestItem[]> {
  constructor(
    readonly channels: readonly string[] | null,
    readonly status: DisplayStatus = 'open',
  ) {
    super();
  }
}
