/**
 * A router failure as raw HTTP/1.1 bytes, for the edges where node gives a socket rather than a
 * response (a malformed or timed-out request head, CONNECT, a connection past the cap, a failed
 * WebSocket upgrade). The same rendering as the sink's (exchange.ts): status, `l5d-err`, the
 * message as a text body. Always closes the connection: after such an error the byte stream
 * cannot be trusted to frame another request.
 */
import type { Synthetic } from '../../core/exchange.js';
import { plainFailure } from '../../core/rescue.js';

export function rawErrorResponse(failure: Synthetic, extraHeaders: readonly string[] = []): string {
  const { status, headers, body } = plainFailure(failure);
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}${extraHeaders.map((h) => `${h}\r\n`).join('')}connection: close\r\n\r\n${body}`;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
