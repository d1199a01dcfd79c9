import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { generateIdentity } from '../protocol';
import { ChannelSession } from './channel-session';
import { ParleyHttpClient } from './http-client';

describe('ChannelSession', () => {
  it('given a session, when it is logged, inspected or serialised, then neither secret key shows, and its member id does', () => {
    const keys = generateIdentity();
    const session = new ChannelSession(new ParleyHttpClient({ server: 'http://127.0.0.1:1', keys }), { id: 'ua.lead', ...keys }, randomUUID());
    const shown = [inspect(session, { depth: Infinity, showHidden: true }), JSON.stringify(session)];
    for (const text of shown) {
      expect(text).toContain('ua.lead');
      expect(text).not.toContain(keys.signSeed);
      expect(text).not.toContain(keys.boxSecret);
    }
  });
});
