import { initialState, ProposalState, RequestState } from '../../protocol';
import { RuleViolationError } from '../../client';
import { UsageError } from './cli-errors';
import { findRequest, findRequestOrProposal } from './event-command';

// Only the ids matter to the lookups.
function stateWith(requests: string[], proposals: string[]) {
  const state = initialState();
  for (const id of requests) state.requests.set(id, { id } as RequestState);
  for (const id of proposals) state.proposals.set(id, { id } as ProposalState);
  return state;
}

const REQUEST = 'abcd1111-0000-4000-8000-000000000001';
const PROPOSAL = 'abcd2222-0000-4000-8000-000000000002';

describe('findRequestOrProposal (withdraw <id>)', () => {
  it('given a prefix of one request and one proposal, then a usage error naming both, not a silent pick', () => {
    const state = stateWith([REQUEST], [PROPOSAL]);
    expect(() => findRequestOrProposal(state, 'abcd')).toThrow(new UsageError('abcd names 1 request and 1 proposal: give more of the id'));
  });
  it('given a prefix unique across both, then the one it names', () => {
    const state = stateWith([REQUEST], [PROPOSAL]);
    expect(findRequestOrProposal(state, 'abcd1')).toEqual({ request: { id: REQUEST } });
    expect(findRequestOrProposal(state, 'abcd2')).toEqual({ proposal: { id: PROPOSAL } });
  });
  it('given a whole id, then that event even where it prefixes nothing else', () => {
    expect(findRequestOrProposal(stateWith([REQUEST], [PROPOSAL]), PROPOSAL)).toEqual({ proposal: { id: PROPOSAL } });
  });
  it('given a prefix of nothing, then unknown_request', () => {
    expect(() => findRequestOrProposal(stateWith([REQUEST], []), 'ffff')).toThrow(RuleViolationError);
  });
  it('given a prefix shorter than 4 (or none), then a usage error asking for more, even where it would match', () => {
    for (const ref of ['abc', '']) {
      expect(() => findRequestOrProposal(stateWith([REQUEST], []), ref)).toThrow(new UsageError(`${JSON.stringify(ref)} is too short to name an id: give at least 4 of its characters (tables show 8)`));
    }
  });
  it('given a prefix in upper case, then the id it names', () => {
    expect(findRequestOrProposal(stateWith([REQUEST], [PROPOSAL]), 'ABCD1')).toEqual({ request: { id: REQUEST } });
  });
});

describe('findRequest', () => {
  it('given a prefix of two requests, then a usage error', () => {
    expect(() => findRequest(stateWith([REQUEST, REQUEST.replace('0001', '0003')], []), 'abcd1')).toThrow('names 2 requests');
  });
});
