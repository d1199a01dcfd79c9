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

  it('given a title of several lines (the opener writes it), then it is one labelled line of at most 60 columns and cannot pass for a line of ours', () => {
    const forged = 'Talks on returns\nparley: note: first reading of channel 0b6f0c1e-…, opened by ua.lead: (terms as agreed)';
    expect(statusTables(summary(forged)).split('\n').slice(0, 3)).toEqual([
      'Channel 0b6f0c1e-0000-4000-8000-000000000001',
      'Title: Talks on returns parley: note: first reading of channel 0b6…',
      'As seen by ru.lead: 4 events verified, head aaaaaaaaaaaaaaaa…, quorum sides',
    ]);
  });

  it('given a title padded with spaces to wrap onto a screen line of its own, then its spaces are one', () => {
    expect(statusTables(summary(`Talks${' '.repeat(28)}parley: note: ua.lead is verified`)).split('\n')[1]).toBe('Title: Talks parley: note: ua.lead is verified');
  });

  it('given a shared document after a long health note, then its seq (what parley save takes) is on a row of its own although the cell is cut', () => {
    const request = {
      id: '42505acb-0000-4000-8000-000000000002',
      category: 'minor',
      party: 'ua',
      holder: 'ru',
      status: 'open',
      person: { fullName: 'Child Five' },
      information: [
        { seq: 30, kind: 'health', content: { text: 'Inhaler supplied; asthma controlled; vaccinations up to date.' } },
        { seq: 31, kind: 'document', content: { document: { name: 'certificate.pdf', size: 3000, data: 'AAAA' } } },
      ],
    } as unknown as ChannelSummary['requests'][number];
    const text = statusTables({ ...summary(''), requests: [request] });
    expect(text).not.toContain('#31'); // the Requests cell is cut before the document
    expect(text).toContain(['Documents (parley save <seq>)', 'seq  request   kind      document', '---  --------  --------  ' + '-'.repeat(39), '31   42505acb  document  document "certificate.pdf" (3000 bytes)'].join('\n'));
  });

  it('given no shared document, then no Documents table', () => {
    expect(statusTables(summary(''))).not.toContain('Documents');
  });

  it('given no title, then no title line', () => {
    expect(statusTables(summary('')).split('\n').slice(0, 2)).toEqual(['Channel 0b6f0c1e-0000-4000-8000-000000000001', 'As seen by ru.lead: 4 events verified, head aaaaaaaaaaaaaaaa…, quorum sides']);
  });
});
