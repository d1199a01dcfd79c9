import { Query } from '@nestjs/cqrs';
import type { ReunificationItem } from '../read-model-rows';

/** Completed reunifications of the given channels (null: every channel). */
export class ReunificationsQuery extends Query<ReunificationItem[]> {
  constructor(readonly channels: readonly string[] | null) {
    super();
  }
}
