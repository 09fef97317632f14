/**
 * Identifiers read only the protocol-blind RequestHead: Host is the authority (HTTP/1.1 Host or
 * h2 `:authority`), headers are found in the flat list whatever their case, the path is `path`.
 */
import { describe, expect, it } from 'vitest';
import { Path } from '../../../src/dtab/path.js';
import { buildIdentifier } from '../../../src/router/core/identifier.js';
import { head } from './memory.js';

const prefix = Path.read('/svc');
const shown = (r: ReturnType<ReturnType<typeof buildIdentifier>>) => (typeof r === 'string' ? r : r.name.show());

describe('identifiers on a RequestHead', () => {
  it('io.l5d.header.token names by the authority for either protocol, and by any header found in the list', () => {
    const byHost = buildIdentifier([{ kind: 'io.l5d.header.token', header: 'Host' }], prefix);
    expect(shown(byHost(head({ authority: 'web:8080' })))).toBe('/svc/web:8080');
    expect(shown(byHost(head({ protocol: 'h2', authority: 'grpc', headers: [] })))).toBe('/svc/grpc');
    expect(byHost(head({ authority: undefined }))).toBe('no Host header');
    const byHeader = buildIdentifier([{ kind: 'io.l5d.header.token', header: 'X-Service' }], prefix);
    expect(shown(byHeader(head({ headers: ['x-SERVICE', 'users', 'X-Service', 'second'] })))).toBe('/svc/users');
  });

  it('io.l5d.methodAndHost names HTTP/1.0 apart', () => {
    const id = buildIdentifier([{ kind: 'io.l5d.methodAndHost' }], prefix);
    expect(shown(id(head({ method: 'POST', authority: 'Web' })))).toBe('/svc/1.1/POST/web');
    expect(shown(id(head({ http10: true, authority: undefined })))).toBe('/svc/1.0/GET');
  });

  it('io.l5d.header.path reads a gRPC :path, and io.l5d.path consumes what it names', () => {
    const grpc = buildIdentifier([{ kind: 'io.l5d.header.path', segments: 1, grpcOnly: false }], prefix);
    expect(shown(grpc(head({ protocol: 'h2', path: '/proto.GenSvc/Gen' })))).toBe('/svc/proto.GenSvc');
    const consume = buildIdentifier([{ kind: 'io.l5d.path', segments: 1, consume: true, grpcOnly: false }], prefix);
    expect(consume(head({ path: '/api/users?x=1' }))).toMatchObject({ url: '/users?x=1' });
  });

  it('grpcOnly names gRPC calls by path and leaves every other request to the next identifier', () => {
    const id = buildIdentifier(
      [
        { kind: 'io.l5d.header.path', segments: 1, grpcOnly: true },
        { kind: 'io.l5d.header.token', header: 'host' },
      ],
      Path.read('/grpc'),
    );
    const call = (type: string) =>
      head({ protocol: 'h2', authority: 'router', path: '/proto.GenSvc/Gen', headers: ['content-type', type] });
    expect(shown(id(call('application/grpc')))).toBe('/grpc/proto.GenSvc');
    expect(shown(id(call('Application/GRPC+proto')))).toBe('/grpc/proto.GenSvc');
    // An HTTP request, over either protocol, is named by its Host, even on a gRPC-looking path.
    expect(shown(id(call('application/json')))).toBe('/grpc/router');
    expect(shown(id(head({ authority: 'web', path: '/gob?text=gob' })))).toBe('/grpc/web');
    const alone = buildIdentifier([{ kind: 'io.l5d.path', segments: 1, consume: false, grpcOnly: true }], prefix);
    expect(alone(head({ authority: 'web', path: '/gob' }))).toBe('not a gRPC call');
  });

  it('io.l5d.header reads a path from any header', () => {
    const id = buildIdentifier([{ kind: 'io.l5d.header', header: 'l5d-name' }], prefix);
    expect(shown(id(head({ headers: ['L5d-Name', '/a/b'] })))).toBe('/svc/a/b');
  });
});
