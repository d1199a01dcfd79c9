import { ChannelView } from './channel-view';
import { summarizeChannel } from './channel-summary';
import { identities, vectorEvents } from '../../test/client/vector-log';

const events = vectorEvents('valid-negotiation.ndjson');

function summaryAs(id: string) {
  const view = new ChannelView(events[0].channel, { id, boxSecret: identities[id].boxSecret });
  for (const e of events) view.apply(e);
  return summarizeChannel(view);
}

describe('summarizeChannel', () => {
  it('given ua.lead, then names and terms are decrypted, the back channel is not, and the transfer is completed', () => {
    const s = summaryAs('ua.lead');
    expect(s.title).toBe('Return of children');
    expect(s.requests.find((r) => r.id === '42505acb-2f5e-4635-a736-eec15931f67e')).toMatchObject({
      status: 'reunited',
      person: { fullName: 'Child One' },
      information: [{ kind: 'health', content: { text: expect.stringContaining('inhaler') } }],
    });
    expect(s.messages).toEqual([{ seq: 5, sender: 'us.envoy', audience: ['ru', 'us'], text: null }]);
    expect(s.proposals.map((p) => p.status)).toEqual(['superseded', 'rejected', 'completed']);
    expect(s.transfers).toEqual([
      expect.objectContaining({ proposal: '0d3075a3-43f9-4d33-ade6-b60329b35967', status: 'completed', agreedAt: 13 }),
    ]);
    expect(s.participants.find((p) => p.id === 'ua.lead')).toMatchObject({ status: 'revoked', replacedBy: 'ua.lead2', fingerprint: identities['ua.lead'].fingerprint });
  });

  it('given ua.lead2, admitted at seq 22, then everything earlier is closed to it', () => {
    const s = summaryAs('ua.lead2');
    expect(s.title).toBeNull();
    expect(s.requests.every((r) => r.person === null)).toBe(true);
    expect(s.requests.find((r) => r.id === '76a94908-6a44-4cc3-90f5-d13a0f990409')!.information).toEqual([
      { seq: 23, kind: 'location', content: { text: "Last seen in a children's home in city X." } },
    ]);
  });
});
