/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over 16 KiB, a bare
 * CR in a header, Content-Length beside chunked encoding, a request not sent in time) get
 * the same `{ error, message }` body as every other refusal. Node's own answer to them is a
 * status line with an empty body.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

function answer(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: 'malformed', message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A peer that went away, or a connection already answered, gets nothing more.
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      return answer(socket, 431, 'Request Header Fields Too Large', 'the request headers are larger than the server accepts (16 KiB)');
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return answer(socket, 408, 'Request Timeout', 'the request was not received in time');
    answer(socket, 400, 'Bad Request', 'not a well-formed HTTP/1.1 request');
  });
}
