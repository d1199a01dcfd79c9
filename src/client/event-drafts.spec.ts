import { randomUUID } from 'node:crypto';
import { evolve, firstViolation, initialState, makeParticipant, openBody } from '../protocol';
import { buildEnvelope, draft } from './event-drafts';
import { identities, vectorEvents } from '../../test/client/vector-log';

const events = vectorEvents('valid-negotiation.ndjson');

function stateAfter(n: number) {
  const state = initialState();
  for (const e of events.slice(0, n)) evolve(state, e);
  return state;
}

const author = (id: string) => ({ id, signSeed: identities[id].signSeed });

describe('buildEnvelope', () => {
  it('given the channel state, when a back-channel message is built, then it is sealed to exactly the audience and passes the rules', () => {
    const state = stateAfter(24);
    const env = buildEnvelope(state, author('ru.lead'), draft('MessagePosted', { audience: ['ru', 'us'] }, { text: 'hi' }));
    expect(env).toMatchObject({ seq: 24, prev: state.head, channel: state.channel, sender: 'ru.lead' });
    expect(env.body!.keys.map((k) => k.to)).toEqual(['ru.deputy', 'ru.lead', 'us.envoy']);
    expect(firstViolation(state, env, { channel: state.channel! })).toBeNull();
    expect(openBody(env.body!, { id: 'us.envoy', boxSecret: identities['us.envoy'].boxSecret })).toMatchObject({ ok: true, content: { text: 'hi' } });
  });

  it('given an admission, then the admitted participant is among the readers of its own admission', () => {
    const state = stateAfter(24);
    const record = makeParticipant(state.channel!, identities['ua.observer'], { id: 'ua.observer', party: 'ua', role: 'observer' });
    const env = buildEnvelope(state, author('ua.lead2'), draft('ParticipantAdmitted', { participant: record }, { note: 'welcome' }));
    expect(env.body!.keys.map((k) => k.to)).toContain('ua.observer');
    expect(firstViolation(state, env, { channel: state.channel! })).toBeNull();
  });

  it('given no content where the body is optional, then there is no body; the id given is kept', () => {
    const state = stateAfter(24);
    const id = randomUUID();
    const env = buildEnvelope(state, author('ua.lead2'), draft('RequestWithdrawn', { request: '76a94908-6a44-4cc3-90f5-d13a0f990409', reason: 'other' }), { id });
    expect(env).toMatchObject({ id, body: null });
    expect(firstViolation(state, env, { channel: state.channel! })).toBeNull();
  });

  it('given an empty state, then a ChannelOpened needs the channel named', () => {
    expect(() => buildEnvelope(initialState(), author('ua.lead'), draft('MessagePosted', { audience: ['ua'] }, { text: 'x' }))).toThrow(/channel is not known/);
  });
});
