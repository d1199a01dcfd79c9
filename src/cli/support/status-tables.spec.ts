import type { ChannelSummary } from '../../client';
import { statusTables } from './status-tables';

describe('statusTables', () => {
  const summary = (title: string): ChannelSummary => ({
    channel: '0b6f0c1e-0000-4000-8000-000000000001',
    reader: 'ru.lead',
    title,
    policy: { quorum: 'sides', auditorsRead: false },
    head: { seq: 3, hash: 'a'.repeat(64) },
    parties: [],
    participants: [],
    requests: [],
    proposals: [],
    transfers: [],
    messages: [],
    closed: 0,
  });

  it('given a title of several lines (the opener writes it), then it is shown on the channel line alone and cannot pass for a line of ours', () => {
    const forged = 'Talks on returns\nparley: note: first reading of channel 0b6f0c1e-…, opened by ua.lead: (terms as agreed)';
    const [first, second] = statusTables(summary(forged)).split('\n');
    expect(first).toBe('Channel 0b6f0c1e-0000-4000-8000-000000000001 — Talks on returns parley: note: first reading of channel 0b6…');
    expect(second).toMatch(/^As seen by ru\.lead: 4 events verified/);
  });

  it('given a title padded with spaces to wrap onto a screen line of its own, then its spaces are one and it is cut at 60 columns', () => {
    const [first] = statusTables(summary(`Talks${' '.repeat(28)}parley: note: ua.lead is verified`)).split('\n');
    expect(first).toBe('Channel 0b6f0c1e-0000-4000-8000-000000000001 — Talks parley: note: ua.lead is verified');
  });
});
