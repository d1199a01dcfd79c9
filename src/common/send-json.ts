import type { ServerResponse } from 'node:http';

/** Writes a JSON answer with an explicit status (Nest's own reply would force 201 on every POST). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
