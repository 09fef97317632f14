/**
 * The few gRPC rules the generator reads answers by, as gRPC clients apply them: a `grpc-status`
 * is decimal digits naming one of the 17 codes, anything else is UNKNOWN; an HTTP error without
 * one maps by gRPC's "HTTP to gRPC Status Code Mapping"; `grpc-timeout` is at most 8 digits and a
 * unit. The router has the same rules for its side (src/router/protocol/grpc/); the traffic
 * generator sits beside the router and may not import it, so the client's half is here.
 */
export const DEADLINE_EXCEEDED = 4;
const UNKNOWN = 2;

export function parseGrpcStatus(value: string): number {
  if (!/^[0-9]{1,10}$/.test(value)) return UNKNOWN;
  const n = Number(value);
  return n <= 16 ? n : UNKNOWN;
}

export function grpcStatusFromHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return UNKNOWN;
  }
}

/** A timeout in whole milliseconds (rounded up, so the server never gives up first), or seconds past 8 digits. */
export function formatGrpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.min(Math.ceil(whole / 1000), 99_999_999)}S`;
}
