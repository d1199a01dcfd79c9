import { ClaimedKeys, claimedKeysOf } from './claimed-keys';

const channel = '6f1c7e2a-0d8b-4f7e-9a51-2b7c9e0d1a2b';
const p = (id: string, signKey: string) => ({ id, signKey, party: 'ua', role: 'negotiator', boxKey: 'b', proof: 'p' });

describe('ClaimedKeys', () => {
  it('given a ChannelOpened, then its participants\' keys and the notary\'s are claimed', () => {
    const opened = { channel, type: 'ChannelOpened', meta: { participants: [p('ua.lead', 'K1'), p('ru.lead', 'K2')], notary: { signKey: 'N' } } };
    expect(claimedKeysOf(opened)).toEqual({ channel, entries: [['ua.lead', 'K1'], ['ru.lead', 'K2'], ['notary', 'N']] });
  });

  it('given an admission and a key rotation, then the new participants\' keys; other types claim nothing', () => {
    expect(claimedKeysOf({ channel, type: 'ParticipantAdmitted', meta: { participant: p('ua.new', 'K3') } })?.entries).toEqual([['ua.new', 'K3']]);
    expect(claimedKeysOf({ channel, type: 'ParticipantRevoked', meta: { participant: 'ua.lead', replacement: p('ua.lead2', 'K4') } })?.entries).toEqual([['ua.lead2', 'K4']]);
    expect(claimedKeysOf({ channel, type: 'ParticipantRevoked', meta: { participant: 'ua.lead' } })).toBeNull();
    expect(claimedKeysOf({ channel, type: 'MessagePosted', meta: { audience: ['ua'] } })).toBeNull();
  });

  it('given claims of the wrong shape, then none are taken', () => {
    expect(claimedKeysOf({ channel, type: 'ChannelOpened', meta: { participants: [{ id: 1, signKey: 'K' }, null] } })).toBeNull();
    expect(claimedKeysOf({ channel: 5, type: 'ParticipantAdmitted', meta: { participant: p('x', 'K') } })).toBeNull();
    expect(claimedKeysOf(null)).toBeNull();
  });

  it('given two claims for one id, then the first stays (a later, refused claim cannot displace it)', () => {
    const keys = new ClaimedKeys();
    keys.learn({ channel, type: 'ParticipantAdmitted', meta: { participant: p('ua.new', 'K3') } });
    keys.learn({ channel, type: 'ParticipantAdmitted', meta: { participant: p('ua.new', 'EVIL') } });
    expect(keys.get(channel, 'ua.new')).toBe('K3');
    expect(keys.get(channel, 'nobody')).toBeUndefined();
  });
});
