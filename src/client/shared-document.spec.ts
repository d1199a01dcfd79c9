import { documentContent, documentLabel, isSafeDefaultName, sharedDocument } from './shared-document';

const bytes = Buffer.from('%PDF-1.7 birth certificate');

describe('shared documents', () => {
  it('given a file, when its content is made and read back, then the same name and bytes come out', () => {
    const content = documentContent({ name: 'birth-certificate.pdf', bytes });
    expect(content.document).toEqual({ name: 'birth-certificate.pdf', size: bytes.length, data: bytes.toString('base64url') });
    expect(sharedDocument(content)).toEqual({ name: 'birth-certificate.pdf', bytes });
    expect(documentLabel(content)).toBe(`document "birth-certificate.pdf" (${bytes.length} bytes)`);
  });

  it('given a body without a document, then there is none to read or label', () => {
    expect(sharedDocument({ text: 'Asthma, inhaler supplied.' })).toBeNull();
    expect(sharedDocument(null)).toBeNull();
    expect(documentLabel({ text: 'x' })).toBeNull();
    // Only its own member counts, not one inherited.
    expect(sharedDocument(Object.create({ document: documentContent({ name: 'a', bytes }).document }))).toBeNull();
  });

  it.each([
    ['a parent path', '../escaped.txt'],
    ['a path', 'a/b'],
    ['a Windows path', 'a\\b'],
    ['..', '..'],
    ['.', '.'],
    ['nothing', ''],
    ['a newline', 'line\nbreak'],
    ['a NUL', 'nul\u0000'],
    ['256 characters', 'x'.repeat(256)],
    ['a right-to-left override', 'invoice\u202efdp.exe'],
    ['a zero-width space', 'cert\u200b.pdf'],
  ])(
    'given a document named with %s, then it is refused both ways: it could be written outside the directory, or hide in a listing',
    (_, name) => {
      expect(() => documentContent({ name, bytes })).toThrow('is not a bare file name');
      expect(() => sharedDocument({ document: { name, size: 1, data: 'eA' } })).toThrow('is not a bare file name');
    },
  );

  it.each([
    ['.bash_profile', false],
    ['-', false],
    ['-rf', false],
    [' cert.pdf', false],
    ['cert.pdf ', false],
    ['birth certificate.pdf', true],
    ['свидетельство.pdf', true],
  ])('given the sender named it %j, then saving under that name by default is allowed: %s', (name, allowed) => {
    expect(isSafeDefaultName(name)).toBe(allowed);
  });

  it.each([
    [{ name: 'a.txt', size: 2, data: 'eA' }, 'holds 1 bytes where its sender said 2'],
    [{ name: 'a.txt', size: 1, data: 'eB' }, 'is not base64url'], // unused bits set: not canonical
    [{ name: 'a.txt', size: 1, data: 'eA==' }, 'is not base64url'],
    [{ name: 'a.txt', data: 'eA' }, 'not of the form'],
    ['eA', 'not of the form'],
  ])('given a malformed document %j, then reading it throws (%s)', (document, message) => {
    expect(() => sharedDocument({ document })).toThrow(message);
  });
});
