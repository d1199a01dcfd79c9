import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RawBodyRequest } from './raw-body.middleware';

/**
 * The body exactly as strictly parsed by RawBodyMiddleware, for handlers that must keep the
 * received value: not `@Body()`, which the ValidationPipe changes in place.
 */
export const ReceivedBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  return ctx.switchToHttp().getRequest<RawBodyRequest>().envelope;
});
