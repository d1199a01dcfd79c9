import { randomUUID } from 'node:crypto';
import { canonical, sha256Hex } from './encoding';
import { randomBytes } from './crypto';
import { sealBody } from './envelope';
import { NegotiationFixture } from './negotiation/negotiation.fixture';
import { verifyLog, LogVerifier } from './verifier';
import type { Envelope } from './types';

describe('LogVerifier', () => {
  it('given two channels interleaved, then each is verified on its own chain', () => {
    const f1 = new NegotiationFixture();
    const f2 = new NegotiationFixture();
    const o1 = f1.apply(f1.opening({ quorum: 'sides', auditorsRead: false }));
    const o2 = f2.apply(f2.opening({ quorum: 'sides', auditorsRead: false }));
    const r1 = f1.apply(f1.build('ua.lead', 'ReunificationRequested', { request: randomUUID(), category: 'minor', holder: 'ru' }, { p: 1 }));
    const r2 = f2.apply(f2.build('ru.lead', 'ReunificationRequested', { request: randomUUID(), category: 'minor', holder: 'ua' }, { p: 2 }));
    const report = verifyLog([o1, o2, r2, r1]);
    expect(report.violations).toEqual([]);
    expect(report.channels.map((c) => [c.channel, c.events, c.head])).toEqual([
      [f1.channel, 2, f1.state.head],
      [f2.channel, 2, f2.state.head],
    ]);
  });

  it('given a violation, then that channel is unverified after it and other channels go on', () => {
    const f1 = new NegotiationFixture();
    const f2 = new NegotiationFixture();
    const o1 = f1.apply(f1.opening({ quorum: 'sides', auditorsRead: false }));
    const o2 = f2.apply(f2.opening({ quorum: 'sides', auditorsRead: false }));
    const m1 = f1.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 });
    const bad = { ...m1, seq: 5 };
    const m2 = f2.apply(f2.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 2 }));
    const report = verifyLog([o1, bad, m1, o2, m2]);
    expect(report.violations.map((v) => [v.channel, v.seq, v.code, v.index])).toEqual([[f1.channel, 5, 'seq_gap', 2]]);
    expect(report.channels.find((c) => c.channel === f1.channel)).toMatchObject({ events: 3, verified: 1 });
    expect(report.channels.find((c) => c.channel === f2.channel)).toMatchObject({ events: 2, verified: 2 });
  });

  it('given channels refused at their first event around a valid one, then each keeps the empty state and the valid one its own', () => {
    const f = new NegotiationFixture();
    const opening = f.apply(f.opening({ quorum: 'sides', auditorsRead: false }));
    const message = f.apply(f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 }));
    const [junkA, junkB] = [randomUUID(), randomUUID()];
    const report = verifyLog([{ channel: junkA, seq: 0 }, opening, { channel: junkB, seq: 0 }, message, { channel: junkA, seq: 1 }]);
    expect(report.violations.map((v) => [v.channel, v.code])).toEqual([[junkA, 'malformed'], [junkB, 'malformed']]);
    const byChannel = new Map(report.channels.map((c) => [c.channel, c]));
    expect(byChannel.get(f.channel)).toMatchObject({ verified: 2, head: f.state.head, state: { nextSeq: 2, head: f.state.head } });
    for (const junk of [junkA, junkB]) expect(byChannel.get(junk)).toMatchObject({ verified: 0, state: { nextSeq: 0, participants: new Map() } });
  });

  it('given pins, then each channel reports the hash of its verified event at the pinned seq, once reached', () => {
    const f1 = new NegotiationFixture();
    const f2 = new NegotiationFixture();
    const o1 = f1.apply(f1.opening({ quorum: 'sides', auditorsRead: false }));
    const atOne = f1.state.head;
    const m1 = f1.apply(f1.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 }));
    const o2 = f2.apply(f2.opening({ quorum: 'sides', auditorsRead: false }));
    const report = verifyLog([o1, o2, m1], { pins: new Map([[f1.channel, 0], [f2.channel, 1]]) });
    expect(report.channels.map((c) => [c.channel, c.pinned])).toEqual([
      [f1.channel, atOne],
      [f2.channel, undefined], // its log ends before seq 1
    ]);
  });

  it('given a line that is not strict JSON, then malformed with seq null', () => {
    const report = verifyLog('{"a":1,"a":2}\n');
    expect(report.violations).toEqual([expect.objectContaining({ channel: null, seq: null, code: 'malformed', index: 1 })]);
  });

  it('given lines of JSON whitespace, then skipped; lines that only look blank (no-break space, form feed, A0 0C 0B) are malformed', () => {
    const v = new LogVerifier();
    v.addLine('');
    v.addLine(' \t\r');
    v.addLineBytes(Buffer.from(' \t\r'));
    expect(v.report()).toMatchObject({ events: 0, violations: [] });
    v.addLine('\u00a0');
    v.addLine('\f');
    v.addLineBytes(Buffer.from([0xa0, 0x0c, 0x0b]));
    expect(v.report().violations.map((x) => [x.code, x.index])).toEqual([
      ['malformed', 1],
      ['malformed', 2],
      ['malformed', 3],
    ]);
  });

  it('given an integer above 2^53-1 in an envelope, then malformed at that envelope\'s seq (a format error, not a line that is no JSON), and its channel unverified after it', () => {
    const f = new NegotiationFixture();
    const log: Envelope[] = [f.apply(f.opening({ quorum: 'sides', auditorsRead: false }))];
    for (let i = 0; i < 3; i++) log.push(f.apply(f.build('ua.lead', 'MessagePosted', { audience: ['ru', 'ua'] }, { text: 'x' })));
    const lines = log.map((e) => canonical(e));
    for (const big of ['9007199254740993', '1' + '0'.repeat(400)]) {
      const changed = [...lines];
      changed[2] = changed[2].replace('"v":1', `"v":${big}`);
      const report = verifyLog(changed.join('\n'));
      expect(report.violations).toEqual([{ channel: f.channel, seq: 2, code: 'malformed', message: 'v must be 1', index: 3 }]);
    }
  });

  it('given invalid UTF-8 bytes, then malformed rather than replaced', () => {
    const v = new LogVerifier();
    v.addLineBytes(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    expect(v.report().violations[0]).toMatchObject({ code: 'malformed', seq: null });
  });

  describe('as a recipient (auditorsRead)', () => {
    const reader = (f: NegotiationFixture) => ({ id: 'icrc.audit', boxSecret: f.members.get('icrc.audit')!.identity.boxSecret });

    it('given honest bodies, then every body opens and commits', () => {
      const f = new NegotiationFixture();
      const log: Envelope[] = [f.apply(f.opening({ quorum: 'sides', auditorsRead: true }))];
      log.push(f.apply(f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { text: 'x' })));
      expect(verifyLog(log, { reader: reader(f) }).ok).toBe(true);
    });

    it('given the reader\'s id held by someone else\'s keys in a channel, then that channel\'s bodies are not opened', () => {
      const f = new NegotiationFixture();
      const other = new NegotiationFixture();
      const log: Envelope[] = [f.apply(f.opening({ quorum: 'sides', auditorsRead: true }))];
      log.push(other.apply(other.opening({ quorum: 'sides', auditorsRead: true })));
      log.push(other.apply(other.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { text: 'x' })));
      expect(verifyLog(log, { reader: reader(f) }).violations).toEqual([]);
    });

    it('given a sender whose commit does not match the plaintext, then bad_body at that seq', () => {
      const f = new NegotiationFixture();
      const log: Envelope[] = [f.apply(f.opening({ quorum: 'sides', auditorsRead: true }))];
      const env = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, null, (e) => {
        const body = sealBody({ text: 'one thing' }, [
          { id: 'icrc.audit', boxKey: f.members.get('icrc.audit')!.record.boxKey },
          { id: 'ua.lead', boxKey: f.members.get('ua.lead')!.record.boxKey },
          { id: 'ua.obs', boxKey: f.members.get('ua.obs')!.record.boxKey },
        ]);
        body.commit = sha256Hex('parley/v1/commit\n', randomBytes(32), canonical({ text: 'another' }));
        e.body = body;
      });
      log.push(env);
      const report = verifyLog(log, { reader: reader(f) });
      expect(report.violations).toEqual([expect.objectContaining({ seq: 1, code: 'bad_body' })]);
      // Without the reader's key, the server-side checks cannot see it.
      expect(verifyLog(log).ok).toBe(true);
    });
  });
  describe('with hints computed ahead (the auditor\'s worker threads)', () => {
    it('given a signature verdict for the sender\'s key, then the signature step takes it and is told that key', () => {
      const f = new NegotiationFixture();
      const open = f.apply(f.opening({ quorum: 'sides', auditorsRead: false }));
      const msg = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 });
      const asked: string[] = [];
      const v = new LogVerifier();
      v.add(open);
      v.add(msg, { verifySignature: (_env, key) => (asked.push(key), false) });
      expect(asked).toEqual([f.members.get('ua.lead')!.record.signKey]);
      expect(v.report().violations).toEqual([expect.objectContaining({ seq: 1, code: 'bad_signature' })]);
    });

    it('given an opening of the body, then the reader uses it instead of opening again', () => {
      const f = new NegotiationFixture();
      const open = f.apply(f.opening({ quorum: 'sides', auditorsRead: true }));
      const msg = f.build('ua.lead', 'MessagePosted', { audience: ['ua'] }, { t: 1 });
      const v = new LogVerifier({ reader: { id: 'icrc.audit', boxSecret: f.members.get('icrc.audit')!.identity.boxSecret } });
      v.add(open);
      v.add(msg, { opened: { ok: false, reason: 'bad_body', message: 'from the hint' } });
      expect(v.report().violations).toEqual([expect.objectContaining({ seq: 1, code: 'bad_body', message: 'from the hint' })]);
    });
  });
});
