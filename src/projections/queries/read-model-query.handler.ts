import { Injectable } from '@nestjs/common';
import type { IQuery } from '@nestjs/cqrs';
import { ProjectionService } from '../projection.service';
import type { ReadModelStore } from '../read-model-store.port';

/**
 * A read model query: first waits (bounded) for the projection to include the log's
 * current head, so a client that has just appended sees its event; then reads.
 */
@Injectable()
export abstract class ReadModelQueryHandler<Q extends IQuery, R> {
  constructor(private readonly projections: ProjectionService) {}

  async execute(query: Q): Promise<R> {
    await this.projections.caughtUp();
    return this.read(this.projections.readModels, query);
  }

  protected abstract read(readModels: ReadModelStore, query: Q): Promise<R>;
}
