import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishNewFile } from './publish-new-file';

describe('publishNewFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'publish-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const noHardLinks = () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }); // as exFAT answers
  };

  it('given a free name, then the file is published under it', () => {
    writeFileSync(join(dir, 'partial'), 'whole');
    publishNewFile(join(dir, 'partial'), join(dir, 'backup'));
    expect(readFileSync(join(dir, 'backup'), 'utf8')).toBe('whole');
  });

  it('given a taken name, then EEXIST and the file there is untouched, with hard links or without', () => {
    for (const link of [undefined, noHardLinks]) {
      writeFileSync(join(dir, 'partial'), 'new');
      writeFileSync(join(dir, 'backup'), 'evidence');
      expect(() => publishNewFile(join(dir, 'partial'), join(dir, 'backup'), link)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
      expect(readFileSync(join(dir, 'backup'), 'utf8')).toBe('evidence');
    }
  });

  it('given a filesystem without hard links, then the file is renamed to the free name', () => {
    writeFileSync(join(dir, 'partial'), 'whole');
    publishNewFile(join(dir, 'partial'), join(dir, 'backup'), noHardLinks);
    expect(readFileSync(join(dir, 'backup'), 'utf8')).toBe('whole');
    expect(existsSync(join(dir, 'partial'))).toBe(false);
  });

  it('given another failure of the link, then it is thrown as it came', () => {
    expect(() => publishNewFile(join(dir, 'missing'), join(dir, 'backup'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
