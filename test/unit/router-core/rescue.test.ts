/**
 * rescue: every router failure becomes a Synthetic with no I/O, and the gRPC status table maps
 * each code to the status a gRPC client acts on (UNAVAILABLE is the one it retries by itself).
 */
import { describe, expect, it } from 'vitest';
import { createError, type ErrorCode, errorCodes } from '../../../src/errors.js';
import { GrpcStatus, grpcStatusOf, rescue } from '../../../src/router/core/rescue.js';

describe('rescue', () => {
  it('keeps the registry status and message, retryable only when told', () => {
    const e = createError('SY_ERR_NO_BROKERS', ['/svc/web', '', '']);
    expect(rescue(e)).toEqual({
      code: 'SY_ERR_NO_BROKERS',
      status: 502,
      message: e.message,
      retryable: false,
      grpcStatus: GrpcStatus.UNAVAILABLE,
    });
    expect(rescue(e, true).retryable).toBe(true);
  });

  it('answers 502 INTERNAL for an error that is not the router’s own', () => {
    expect(rescue(new Error('boom'))).toMatchObject({ status: 502, message: 'boom', grpcStatus: GrpcStatus.INTERNAL });
  });

  it('maps codes to gRPC statuses', () => {
    const expected: [ErrorCode, number][] = [
      ['SY_ERR_NO_BROKERS', 14],
      ['SY_ERR_UPSTREAM_CONNECT', 14],
      ['SY_ERR_UPSTREAM_FAILED', 14],
      ['SY_ERR_BINDING_TIMEOUT', 14],
      ['SY_ERR_TOO_MANY_CONNECTIONS', 14],
      ['SY_ERR_UPSTREAM_TIMEOUT', 4],
      ['SY_ERR_DEADLINE_EXCEEDED', 4],
      ['SY_ERR_REQUEST_TIMEOUT', 4],
      ['SY_ERR_INVALID_DTAB_HEADERS', 3],
      ['SY_ERR_DTAB_SYNTAX', 3],
      ['SY_ERR_DTAB_HEADER_TOO_LARGE', 3],
      ['SY_ERR_BAD_REQUEST', 3],
      ['SY_ERR_UNIDENTIFIED', 3],
      ['SY_ERR_MAX_CALL_DEPTH', 3],
      ['SY_ERR_BIND_BUDGET', 3],
      ['SY_ERR_DTAB_TOO_MANY_DENTRIES', 3],
      ['SY_ERR_DTAB_OVERRIDE_DENIED', 7],
      ['SY_ERR_SELF_ADDRESS', 7],
      ['SY_ERR_NAMER_FAILED', 13],
      ['SY_ERR_BIND_MAX_DEPTH', 13],
    ];
    for (const [code, status] of expected) expect(grpcStatusOf(code), code).toBe(status);
    // Every registry code has some status; nothing maps to OK.
    for (const code of Object.keys(errorCodes)) expect(grpcStatusOf(code)).toBeGreaterThan(0);
  });
});
