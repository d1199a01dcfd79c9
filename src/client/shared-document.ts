/**
 * A document shared in a channel: the body of a RequestInformationShared (`kind` "document"
 * usually) holding `{ document: { name, size, data } }`, with `data` the file's bytes in
 * base64url. DESIGN.md leaves the body's shape to clients; this is the one our SDK and CLI
 * write (`parley share --file`) and read (`parley save`).
 */
import { b64uDecode, b64uEncode } from '../protocol';

export interface SharedDocument {
  /** The sender's file name: a bare name, never a path (checked on the way in and out). */
  name: string;
  bytes: Buffer;
}

/** The body member that carries `doc`. */
export function documentContent(doc: SharedDocument): { document: { name: string; size: number; data: string } } {
  return { document: { name: safeName(doc.name), size: doc.bytes.length, data: b64uEncode(doc.bytes) } };
}

/** What a decrypted body says of its document without decoding it: for one-line listings. */
export function documentLabel(content: Record<string, unknown> | null): string | null {
  const d = content?.document as { name?: unknown; size?: unknown } | undefined;
  if (!d || typeof d !== 'object') return null;
  return `document ${typeof d.name === 'string' ? JSON.stringify(d.name) : '(no name)'}${Number.isSafeInteger(d.size) ? ` (${d.size} bytes)` : ''}`;
}

/**
 * The document a decrypted body carries, or null if it carries none. Throws when it carries
 * one that is not well formed: a name that is not a bare file name, data that is not
 * canonical base64url, or a size that is not the data's length (a document cut or padded
 * by its sender's software is not saved as if whole).
 */
export function sharedDocument(content: Record<string, unknown> | null): SharedDocument | null {
  if (!content || !Object.hasOwn(content, 'document')) return null;
  const d = content.document as { name?: unknown; size?: unknown; data?: unknown };
  if (!d || typeof d !== 'object' || typeof d.name !== 'string' || typeof d.data !== 'string' || !Number.isSafeInteger(d.size)) {
    throw new Error('the document is not of the form { name, size, data }');
  }
  const bytes = b64uDecode(d.data);
  if (!bytes) throw new Error('the document data is not base64url');
  if (bytes.length !== d.size) throw new Error(`the document holds ${bytes.length} bytes where its sender said ${d.size}`);
  return { name: safeName(d.name), bytes };
}

/**
 * A name another party chose, to be used as a file name here: a single path component, not
 * `.` or `..`, without control or invisible formatting characters (bidirectional overrides
 * would make `cert.pdf` of `fdp.trec`), so that a hostile sender cannot make `parley save`
 * write outside the directory it is run in or show one name for another.
 */
function safeName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.length > 255 || /[/\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name)) {
    throw new Error(`the document name ${JSON.stringify(name)} is not a bare file name`);
  }
  return name;
}

/**
 * Whether the sender's name may also be the name `parley save` writes under by default: not
 * hidden (`.bash_profile` in a home directory would run at the next login) and not read as
 * an option or as standard output (`-…`). Other names need the reader's own `--out`.
 */
export function isSafeDefaultName(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('-') && name.trim() === name;
}
