import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PARLEY_CONFIG, ParleyConfig } from '../config/parley-config';
import { decodeUtf8Strict, parseEnvelopeText } from '../protocol';
import { malformed, payloadTooLarge } from './api-error';

/** The request as received: exact body bytes (for the content digest) and their strict parse. */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: Buffer;
  /** The strict parse, carrying the forms (hash, signing input) of the text received: never handed to a pipe. */
  envelope?: unknown;
  /**
   * A second parse of the same text, for `@Body()` and its DTO: the ValidationPipe deletes
   * `__proto__`, `prototype` and `constructor` members in place before it validates, and so
   * must never touch `envelope`, whose cached forms would then describe another object.
   */
  body?: unknown;
}

/**
 * Reads and strictly parses the body ourselves (Nest's JSON parser is off): `JSON.parse` would accept duplicate
 * keys and lose the exact bytes the RFC 9530 digest covers. Bodies over the envelope limit
 * are refused with 413 once the limit is crossed; the rest is read but not kept (see refuse).
 */
@Injectable()
export class RawBodyMiddleware implements NestMiddleware {
  private readonly limit: number;

  constructor(@Inject(PARLEY_CONFIG) config: ParleyConfig) {
    this.limit = config.PARLEY_MAX_ENVELOPE_BYTES;
  }

  use(req: RawBodyRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.limit) return this.refuse(req, res, next);
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (declared === 0 && !req.headers['transfer-encoding']) return next(malformed('the request needs a JSON body'));
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.limit) {
        done = true;
        req.off('data', onData);
        this.refuse(req, res, next);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      req.rawBody = Buffer.concat(chunks, size);
      if (size === 0) return next(malformed('the request needs a JSON body'));
      try {
        // The protocol's strict parser (duplicate keys, trailing text, non-integers…), which
        // also keeps the envelope's canonical forms from the text for the checks that follow.
        const text = decodeUtf8Strict(req.rawBody);
        req.envelope = parseEnvelopeText(text);
        req.body = JSON.parse(text) as unknown;
      } catch (err) {
        return next(malformed(`the body is not strict JSON: ${(err as Error).message}`));
      }
      next();
    });
    req.once('error', (err) => {
      if (!done) {
        done = true;
        next(err);
      }
    });
  }

  private refuse(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    // Close the connection after the answer and drop whatever else the client sends.
    res.setHeader('connection', 'close');
    const answer = () => next(payloadTooLarge(this.limit));
    req.resume();
    // Answered while the client is still uploading, the connection is reset under it, and
    // most clients (fetch among them) then report a failed request, never reading the 413:
    // the SDK would take that as an append of unknown outcome and try again. So a body of a
    // declared, bounded length is read to its end first and dropped; a body announced larger
    // than that, or without a length, is answered at once.
    const declared = Number(req.headers['content-length']);
    if (Number.isSafeInteger(declared) && declared <= this.drainLimit() && !req.readableEnded) {
      req.once('end', answer);
      req.once('error', () => req.off('end', answer)); // the socket is gone: nobody to answer
      return;
    }
    answer();
  }

  /** The most a refused body is read (and dropped) before the 413: four times the limit, 16 MiB at least. */
  private drainLimit(): number {
    return Math.max(4 * this.limit, 16 * 1024 * 1024);
  }
}
