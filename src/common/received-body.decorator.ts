import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { RawBodyRequest } from './raw-body.middleware';

/**
 * The body exactly as strictly parsed by RawBodyMiddleware (not the ValidationPipe's copy of
 * it), for handlers that must keep the received value.
 */
export const ReceivedBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => {
  return ctx.switchToHttp().getRequest<RawBodyRequest>().body;
});
