import { defaultNameProblem, documentContent, documentLabel, sharedDocument } from './shared-document';

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
    ['a left-to-right mark', 'cert\u200e.pdf'],
  ])(
    'given a document named with %s, then it is not shared, and not saved under that name: it could be written outside the directory, or show one name for another',
    (_, name) => {
      expect(() => documentContent({ name, bytes })).toThrow('is not a bare file name');
      expect(defaultNameProblem(name)).toBe('which is not a bare file name');
      // Its bytes are still the sender's: saved under a name the reader gives (--out).
      expect(sharedDocument({ document: { name, size: 1, data: 'eA' } })).toEqual({ name, bytes: Buffer.from('x') });
    },
  );

  it.each([
    ['.bash_profile', 'which is not saved under its own name (a hidden file, or one read as an option)'],
    ['-', 'which is not saved under its own name (a hidden file, or one read as an option)'],
    ['-rf', 'which is not saved under its own name (a hidden file, or one read as an option)'],
    [' cert.pdf', 'which is not saved under its own name (a hidden file, or one read as an option)'],
    ['birth certificate.pdf', null],
    ['свидетельство.pdf', null],
    ['گواهی\u200cتولد.pdf', null], // a zero-width non-joiner, as Persian writes it
    ['👨\u200d👩\u200d👧.jpg', null], // zero-width joiners of one emoji
  ])('given the sender named it %j, then saving under that name by default: %s', (name, problem) => {
    expect(defaultNameProblem(name)).toBe(problem);
    if (problem === null) expect(documentContent({ name, bytes }).document.name).toBe(name);
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
