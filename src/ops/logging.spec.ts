import type { Options } from 'pino-http';
import { loadConfig } from '../config/parley-config';
import { loggingParams } from './logging';

describe('log lines', () => {
  const [options] = loggingParams(loadConfig({})).pinoHttp as [Options, unknown];
  const serializeErr = options.serializers!.err as (err: Error) => Record<string, unknown>;

  it('given an unexpected error (the exception filter logs it), then its stack is kept: where it failed', () => {
    const err = new TypeError('boom');
    expect(serializeErr(err)).toMatchObject({ type: 'TypeError', message: 'boom', stack: err.stack });
  });

  it("given pino-http's own error for a 5xx answer, then its message only: its stack says where pino-http made it", () => {
    expect(serializeErr(new Error('failed with status code 503'))).toEqual({ message: 'failed with status code 503' });
  });

  it('given a 503, then the line is a warning; another 5xx an error; a 4xx info', () => {
    const level = (status: number) => (options.customLogLevel as (req: unknown, res: { statusCode: number }, err?: Error) => string)({}, { statusCode: status });
    expect([503, 500, 422, 200].map(level)).toEqual(['warn', 'error', 'info', 'debug']);
  });
});
