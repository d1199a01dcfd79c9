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
 * one that is not well formed: data that is not canonical base64url, or a size that is not
 * the data's length (a document cut or padded by its sender's software is not saved as if
 * whole). The name is as its sender gave it: see defaultNameProblem before writing under it.
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
  return { name: d.name, bytes };
}

// Control characters, line separators, and the bidirectional marks, embeddings, overrides
// and isolates (which would show `cert.pdf` for `fdp.trec`); not every format character:
// ZWNJ and ZWJ belong in Persian, Arabic-script and Indic words, and in emoji.
const NOT_IN_A_NAME = /[/\\\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;

/** Why `name` is not a bare file name (a single path component, shown as it is), or null. */
function bareNameProblem(name: string): string | null {
  if (name === '' || name === '.' || name === '..' || name.length > 255 || NOT_IN_A_NAME.test(name)) return 'which is not a bare file name';
  return null;
}

/**
 * Why `parley save` must not write under the sender's name by default, or null: a name that
 * is not a bare file name (it could lead outside the directory, or show one name for
 * another), a hidden one (`.bash_profile` in a home directory runs at the next login), or one
 * read as an option or as standard output (`-…`). The reader's own `--out` is then needed.
 */
export function defaultNameProblem(name: string): string | null {
  const bare = bareNameProblem(name);
  if (bare) return bare;
  if (name.startsWith('.') || name.startsWith('-') || name.trim() !== name) return 'which is not saved under its own name (a hidden file, or one read as an option)';
  return null;
}

function safeName(name: string): string {
  if (bareNameProblem(name)) throw new Error(`the document name ${JSON.stringify(name)} is not a bare file name`);
  return name;
}
