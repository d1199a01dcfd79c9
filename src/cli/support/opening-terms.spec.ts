import { initialState } from '../../protocol';
import { NegotiationFixture } from '../../protocol/negotiation/negotiation.fixture';
import { openingTermsNote } from './opening-terms';

describe('openingTermsNote', () => {
  it('given a channel opened by another participant, then it names the opener, the parties, the quorum and who reads every body', () => {
    const f = NegotiationFixture.opened({ quorum: 'all', auditorsRead: true });
    expect(openingTermsNote(f.state, 'ru.lead')).toBe(
      `parley: note: first reading of channel ${f.channel}, opened by ua.lead: parties icrc (observer), ru (side), ua (side), us (mediator); quorum all; ` +
        'auditors read every body (auditorsRead): icrc.audit of icrc. Your participant record named the channel only, not these terms: ' +
        'if they are not what the parties agreed, act in it no further and tell the others.',
    );
  });

  it('given auditors that read no body, then it says so', () => {
    expect(openingTermsNote(NegotiationFixture.opened().state, 'ru.lead')).toMatch(/; quorum sides; auditors read no body\. /);
  });

  it('given the reader opened the channel, or nothing is opened yet, then there is no note', () => {
    expect(openingTermsNote(NegotiationFixture.opened().state, 'ua.lead')).toBeNull();
    expect(openingTermsNote(initialState(), 'ru.lead')).toBeNull();
  });
});
