import { UnexpectedResponseError } from './errors';
import { MAX_RETRY_MS, MIN_RETRY_MS, SseParser } from './sse';

describe('SseParser', () => {
  it('given events split across chunks, when fed, then each completes at its blank line with id and type', () => {
    const p = new SseParser();
    expect(p.push('id: 3\nevent: envel')).toEqual([]);
    expect(p.push('ope\ndata: {"a":1}\n\nid: 4\r\n')).toEqual([{ id: '3', event: 'envelope', data: '{"a":1}' }]);
    expect(p.push('data: x\r')).toEqual([]);
    expect(p.push('\ndata: y\r\n\r\n')).toEqual([{ id: '4', event: 'message', data: 'x\ny' }]);
    expect(p.lastEventId).toBe('4');
  });

  it('given comments, retry and a field without a value, then comments are ignored and retry is kept', () => {
    const p = new SseParser();
    expect(p.push(': keep-alive\nretry: 2500\nevent\ndata\n\n')).toEqual([{ id: null, event: 'message', data: '' }]);
    expect(p.retryMs).toBe(2500);
  });

  it('given a retry shorter than a second (0, say), then a second: a server cannot make its followers reconnect in a loop', () => {
    const p = new SseParser();
    p.push('retry: 0\n');
    expect(p.retryMs).toBe(MIN_RETRY_MS);
    p.push('retry: 250\n');
    expect(p.retryMs).toBe(1000);
  });

  it('given CR and LF in separate chunks, then one line end, not two (no empty line dispatching early)', () => {
    const p = new SseParser();
    expect(p.push('data: a\r')).toEqual([]);
    expect(p.push('\ndata: b\r')).toEqual([]);
    expect(p.push('')).toEqual([]);
    expect(p.push('\n\r')).toEqual([{ id: null, event: 'message', data: 'a\nb' }]);
  });

  it('given a blank line without data, then no event is dispatched', () => {
    expect(new SseParser().push('event: envelope\n\n')).toEqual([]);
  });

  it('given a retry longer than a minute, then a minute', () => {
    const p = new SseParser();
    p.push('retry: 99999999999\n');
    expect(p.retryMs).toBe(MAX_RETRY_MS);
  });

  it('given a line, or an event of many lines, past the bound, then an UnexpectedResponseError, not a growing buffer', () => {
    expect(() => new SseParser(100).push('data: ' + 'x'.repeat(200))).toThrow(UnexpectedResponseError);
    const p = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 20; i++) p.push('data: ' + 'x'.repeat(20) + '\n');
    }).toThrow(UnexpectedResponseError);
  });

  it('given an endless comment line, fed in pieces, then an UnexpectedResponseError once past the bound', () => {
    const p = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 20; i++) p.push(i === 0 ? ': ' : 'x'.repeat(10));
    }).toThrow('the server sent an event-stream line longer than 100 characters');
  });

  it('given a 32 Mi-character data line in 1 Ki chunks, then it is read in linear time: each chunk searched once', () => {
    const p = new SseParser();
    const chunk = 'x'.repeat(1024);
    // Searching the whole pending text on every chunk, as before, is 512 Gi characters scanned: minutes.
    expect(p.push('data: ')).toEqual([]);
    for (let i = 0; i < 32 * 1024; i++) expect(p.push(chunk)).toHaveLength(0);
    const [msg] = p.push('\n\n');
    expect(msg.data.length).toBe(32 * 2 ** 20);
  }, 10_000);
});
