import { Injectable, PipeTransform, Query } from '@nestjs/common';
import { malformed } from './api-error';

/**
 * The query of a route that takes none: any member is refused (400 malformed) in the words
 * the ValidationPipe uses for an unknown member of a route that takes some, so that a typo
 * (`?form=5`) is said rather than silently ignored.
 */
@Injectable()
export class NoQueryPipe implements PipeTransform<Record<string, unknown> | undefined, void> {
  transform(query: Record<string, unknown> | undefined): void {
    const [name] = Object.keys(query ?? {});
    if (name !== undefined) throw malformed(`invalid request: property ${name.length > 64 ? name.slice(0, 63) + '…' : name} should not exist`);
  }
}

/** On a handler parameter (unused): the route refuses any query member. */
export const NoQuery = (): ParameterDecorator => Query(NoQueryPipe);
