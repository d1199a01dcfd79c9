import { NegotiationBuilder, newNotarySeed } from '../../test/support/negotiation-builder';
import { storeLog, useTmpSqliteStore } from '../../test/support/store-log';
import { LogKeyDirectory } from './log-key-directory';

describe('LogKeyDirectory', () => {
  const tmp = useTmpSqliteStore();
  const notarySeed = newNotarySeed();

  it('given channels opened, admissions and a key rotation in the log, then each keyid resolves to its memberships with their status', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    // The same key pair also serves in a second channel.
    const other = NegotiationBuilder.open({
      notarySeed,
      parties: [
        { id: 'ru', kind: 'side' },
        { id: 'ua', kind: 'side' },
      ],
      members: [
        { id: 'ua.lead', party: 'ua', role: 'negotiator', identity: n.members.get('ua.lead')!.identity },
        { id: 'ru.lead', party: 'ru', role: 'negotiator' },
      ],
    });
    n.admit('ru.lead', { id: 'ru.deputy', party: 'ru', role: 'negotiator' });
    n.revoke('ua.lead', 'ua.lead', 'ua.lead2');
    await storeLog(tmp.store, n, 0);
    await storeLog(tmp.store, other, 0);
    const keys = new LogKeyDirectory(tmp.store);

    const sorted = <T extends { channel: string }>(list: T[]) => [...list].sort((a, b) => a.channel.localeCompare(b.channel));
    expect(sorted(await keys.resolve(n.keyid('ua.lead')))).toEqual(
      sorted([
        { channel: n.channel, participant: 'ua.lead', active: false, signKey: n.keys('ua.lead').signKey },
        { channel: other.channel, participant: 'ua.lead', active: true, signKey: n.keys('ua.lead').signKey },
      ]),
    );
    expect(await keys.resolve(n.keyid('ua.lead2'))).toEqual([{ channel: n.channel, participant: 'ua.lead2', active: true, signKey: n.keys('ua.lead2').signKey }]);
    expect(await keys.resolve(n.keyid('ru.deputy'))).toEqual([expect.objectContaining({ participant: 'ru.deputy', active: true })]);
    expect(await keys.resolve('0'.repeat(64))).toEqual([]);
  });

  it('given a resolve under way, when a revocation is stored, then the next resolve sees it', async () => {
    const n = NegotiationBuilder.open({ notarySeed });
    await storeLog(tmp.store, n, 0);
    const keys = new LogKeyDirectory(tmp.store);
    const before = keys.resolve(n.keyid('ru.lead'));
    n.revoke('ru.lead', 'ru.lead', 'ru.lead2');
    await storeLog(tmp.store, n, 1);
    const after = await keys.resolve(n.keyid('ru.lead'));
    expect((await before)[0].channel).toBe(n.channel);
    expect(after).toEqual([expect.objectContaining({ participant: 'ru.lead', active: false })]);
  });
});
