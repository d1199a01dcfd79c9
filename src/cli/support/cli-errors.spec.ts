import { ApiError } from '../../client';
import { describeFailure, EXIT } from './cli-errors';

describe('describeFailure', () => {
  it.each([
    [422, 'forbidden', EXIT.refused],
    [409, 'seq_gap', EXIT.refused],
    [404, 'not_found', EXIT.refused],
    [503, 'unavailable', EXIT.unreachable],
    [500, 'internal', EXIT.unreachable],
    [502, 'http_502', EXIT.unreachable],
  ])('given the server answered %i %s, then the exit code is %i: a refusal is a verdict, a 5xx a failure for now', (status, code, exit) => {
    expect(describeFailure(new ApiError(status, code, 'said'))).toMatchObject({ exit, code, status, message: 'said' });
  });
});
