import { buildEnvelope, draft } from './event-drafts';
import { ChannelView, Readability } from './channel-view';
import { ChannelIntegrityError } from './errors';
import { b64uDecode, ed25519Signer, Envelope, signEnvelope } from '../protocol';
import { identities, vectorEvents as log } from '../../test/client/vector-log';

function viewAs(id: string, events: Envelope[]): ChannelView {
  const view = new ChannelView(events[0].channel, { id, boxSecret: identities[id].boxSecret });
  for (const e of events) view.apply(e);
  return view;
}

const readability = (view: ChannelView, seqs: number[]): Readability[] => seqs.map((s) => view.entries[s].readability);

describe('ChannelView', () => {
  const events = log('valid-negotiation.ndjson');

  it('given the valid vector log, when the mediator replays it, then every body addressed to it opens with its content', () => {
    const view = viewAs('us.envoy', events);
    expect(view.state.nextSeq).toBe(24);
    expect(view.contentAt(0)).toEqual({ mandate: expect.any(String), title: 'Return of children' });
    expect(view.contentAt(1)).toMatchObject({ person: { fullName: 'Child One' } });
    expect(view.contentAt(4)).toEqual({ text: 'Vaccinations up to date; asthma, inhaler supplied.' });
    expect(view.contentAt(5)).toMatchObject({ text: expect.stringContaining('Back channel') });
    expect(readability(view, [10, 13])).toEqual(['no_body', 'no_body']);
  });

  it('given a back-channel message to ru and us, when ua.lead replays, then that body stays closed and nothing fails', () => {
    const view = viewAs('ua.lead', events);
    expect(readability(view, [4, 5, 6])).toEqual(['opened', 'not_recipient', 'opened']);
    expect(view.contentAt(5)).toBeNull();
    expect(readability(view, [23])).toEqual(['after_revocation']);
  });

  it('given participants admitted later, when they replay, then earlier content is closed and their own admission opens', () => {
    const deputy = viewAs('ru.deputy', events);
    expect(readability(deputy, [0, 1, 9, 11, 14])).toEqual(['before_admission', 'before_admission', 'before_admission', 'opened', 'opened']);
    const rotated = viewAs('ua.lead2', events);
    expect(readability(rotated, [20, 22, 23])).toEqual(['before_admission', 'opened', 'opened']);
    expect(rotated.contentAt(23)).toEqual({ text: "Last seen in a children's home in city X." });
  });

  it('given an auditor without auditorsRead, when it replays, then it verifies everything and reads nothing', () => {
    const view = viewAs('icrc.audit', events);
    expect(view.entries.filter((e) => e.readability === 'opened')).toHaveLength(0);
    expect(view.state.requests.get('42505acb-2f5e-4635-a736-eec15931f67e')?.status).toBe('reunited');
  });

  it.each([
    ['flip-body-byte.ndjson', 7, 'bad_signature'],
    ['drop-event.ndjson', 9, 'seq_gap'],
    ['leaky-recipients.ndjson', 5, 'recipients_mismatch'],
  ])('given the tampered log %s, when replayed, then it stops at seq %i with %s', (file, seq, code) => {
    const bad = log(file);
    const view = new ChannelView(bad[0].channel, { id: 'us.envoy', boxSecret: identities['us.envoy'].boxSecret });
    let error: unknown = null;
    try {
      for (const e of bad) view.apply(e);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ChannelIntegrityError);
    expect(error).toMatchObject({ code, seq });
    // Nothing from the offending line on is applied.
    expect(view.entries).toHaveLength(bad.findIndex((e) => e.seq === seq));
  });

  it('given a correctly signed event whose key entry for me is garbage, when I replay it, then it is kept as bad_body and the log goes on', () => {
    const view = viewAs('us.envoy', events);
    const author = { id: 'ru.lead', signSeed: identities['ru.lead'].signSeed };
    const env = buildEnvelope(view.state, author, draft('MessagePosted', { audience: ['ru', 'us'] }, { text: 'hello' }));
    const keys = env.body!.keys.map((k) => (k.to === 'us.envoy' ? { ...k, key: env.body!.keys[0].key === k.key ? env.body!.keys[1].key : env.body!.keys[0].key } : k));
    const { sig: _sig, ...unsigned } = { ...env, body: { ...env.body!, keys } };
    const forged = signEnvelope(unsigned, ed25519Signer(b64uDecode(author.signSeed, 32)!));
    // Stopping here would let any sender lock this reader out of the channel with one bad key entry.
    expect(view.apply(forged)).toMatchObject({ seq: 24, readability: 'bad_body', content: null, problem: 'the content key does not open' });
    const next = buildEnvelope(view.state, author, draft('MessagePosted', { audience: ['ru', 'us'] }, { text: 'and after' }));
    expect(view.apply(next)).toMatchObject({ seq: 25, readability: 'opened', content: { text: 'and after' } });
  });
});
