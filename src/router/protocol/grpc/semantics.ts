/**
 * The gRPC knowledge the protocol-blind core needs (core/runtime.ts `GrpcSemantics`), assembled
 * from this folder: the one-deadline rule of timeout.ts and the status reading of status.ts.
 */
import type { HeaderList, RequestHead } from '../../core/exchange.js';
import type { GrpcSemantics } from '../../core/runtime.js';
import { DEADLINE_HEADER, type Deadline } from '../../policy/deadline.js';
import type { GrpcClassifier } from '../../policy/grpc-classifier.js';
import { findGrpcStatus, grpcStatusOfHead, grpcStatusOfResponse } from './status.js';
import { callerDeadline, deadlineHeaders, GRPC_TIMEOUT_HEADER } from './timeout.js';

export function grpcSemantics(classifier: GrpcClassifier): GrpcSemantics {
  return {
    classifier,
    callerDeadline: (head: RequestHead, nowMs: number) => callerDeadline(head, nowMs),
    withDeadline(headers: readonly string[], deadline: Deadline | null, nowMs: number): string[] {
      const out: string[] = [];
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const lower = headers[i]!.toLowerCase();
        if (lower === GRPC_TIMEOUT_HEADER || lower === DEADLINE_HEADER) continue;
        out.push(headers[i]!, headers[i + 1]!);
      }
      for (const h of deadlineHeaders(deadline, nowMs, true)) out.push(h);
      return out;
    },
    statusOfHead: (httpStatus: number, headers: HeaderList) => grpcStatusOfHead(httpStatus, findGrpcStatus(headers)),
    statusOfResponse: (httpStatus: number, headers: HeaderList, trailers: HeaderList | null) =>
      grpcStatusOfResponse(httpStatus, headers, trailers),
  };
}
