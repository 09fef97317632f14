/**
 * The one place where the router turns its own failures into HTTP responses (as linkerd's
 * ErrorResponder and linkerd2-proxy's rescue): the registry's status, `l5d-err` with the
 * URL-encoded message so callers can tell a router error from the app's, `l5d-retryable: true`
 * when the request never reached an upstream, and the message as a text body.
 */
import type { ServerResponse } from 'node:http';
import { SwitchyardError } from '../errors.js';

/** Header values must stay well under the 8 KiB header budget. */
const MAX_ERR_HEADER = 1024;

export function respondError(
  res: ServerResponse,
  error: unknown,
  options: { retryable?: boolean; close?: boolean } = {},
): number {
  const status = error instanceof SwitchyardError ? error.status : 502;
  const message = error instanceof Error ? error.message : String(error);
  if (res.headersSent) {
    // Too late for a status: cut the response so the client sees it incomplete, not truncated-but-ok.
    res.destroy();
    return status;
  }
  const body = `${message}\n`;
  const headers: string[] = [
    'content-type',
    'text/plain; charset=utf-8',
    'content-length',
    String(Buffer.byteLength(body)),
    'l5d-err',
    encodeURIComponent(message).slice(0, MAX_ERR_HEADER),
  ];
  if (options.retryable) headers.push('l5d-retryable', 'true');
  if (options.close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

/**
 * The same answer as raw bytes, for the edges where node gives a socket rather than a response
 * (a malformed or timed-out request head, CONNECT, a connection past the cap). Always closes the
 * connection: after such an error the byte stream cannot be trusted to frame another request.
 */
export function rawErrorResponse(error: SwitchyardError, extraHeaders: readonly string[] = []): string {
  const body = `${error.message}\n`;
  const reason = REASONS[error.status] ?? 'Error';
  return (
    `HTTP/1.1 ${error.status} ${reason}\r\n` +
    `content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `l5d-err: ${encodeURIComponent(error.message).slice(0, MAX_ERR_HEADER)}\r\n` +
    extraHeaders.map((h) => `${h}\r\n`).join('') +
    `connection: close\r\n\r\n${body}`
  );
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};
