import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** One request header as a string (Nest's `@Headers` takes no pipes; this one does). */
export const RequestHeader = createParamDecorator((name: string, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<IncomingMessage>().headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
});
