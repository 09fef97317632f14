/**
 * The io.l5d.fs file format (docs/namers.md#file-based-discovery), as linkerd's WatchingNamer
 * parses it: `host port` or `host port * weight`, `#` comments anywhere, blank lines ignored, ports
 * 1..65535, and one malformed line failing the whole file with its file name and line number.
 */
import { describe, expect, it } from 'vitest';
import { MalformedAddressError, parseEndpoints } from '../../src/namers/fs-endpoints.js';

const parse = (text: string) => parseEndpoints(text, '/disco/web');

describe('io.l5d.fs endpoint files', () => {
  it('reads host and port per line, skipping comments, blank lines and carriage returns', () => {
    const text = '# web\n\n127.0.0.1 8080   # primary\r\n  10.0.0.2\t8081  \n#10.0.0.3 8082\n';
    expect(parse(text)).toEqual([
      { host: '127.0.0.1', port: 8080, line: 3 },
      { host: '10.0.0.2', port: 8081, line: 4 },
    ]);
  });

  it('takes weights as `* weight` (linkerd FsTest "supports weights")', () => {
    expect(parse('127.0.0.1 8080\n127.0.0.1 8081 * 0.23\nh 1 * 2\nh 2 * 1e1\nh 3 * 0')).toEqual([
      { host: '127.0.0.1', port: 8080, line: 1 },
      { host: '127.0.0.1', port: 8081, weight: 0.23, line: 2 },
      { host: 'h', port: 1, weight: 2, line: 3 },
      { host: 'h', port: 2, weight: 10, line: 4 },
      { host: 'h', port: 3, weight: 0, line: 5 },
    ]);
  });

  it('accepts ports as Java toInt does (leading zeros, a plus sign) within 1..65535', () => {
    expect(parse('a 0080\nb +81\nc 65535\nd 1')).toMatchObject([
      { port: 80 },
      { port: 81 },
      { port: 65535 },
      { port: 1 },
    ]);
    for (const port of ['0', '65536', '-1', 'http', '80a', '8 0'])
      expect(parse(`a ${port}`)).toBeInstanceOf(MalformedAddressError);
  });

  it('takes IPv6 literals bare or in brackets, and leaves host names for DNS', () => {
    expect(parse('::1 80\n[fe80::1] 81\nweb.internal 82\n[notip] 83')).toMatchObject([
      { host: '::1' },
      { host: 'fe80::1' },
      { host: 'web.internal' },
      { host: '[notip]' },
    ]);
  });

  it('has no endpoints for an empty or comment-only file, which is not an error', () => {
    expect(parse('')).toEqual([]);
    expect(parse('\n  \n# nothing here\n')).toEqual([]);
  });

  it('fails the whole file on any malformed line, naming the file and the first bad line', () => {
    const error = parse('127.0.0.1 8080\n\n127.0.0.1:8081\nx 1 * heavy\n') as MalformedAddressError;
    expect(error).toBeInstanceOf(MalformedAddressError);
    expect([error.file, error.line, error.text, error.count]).toEqual(['/disco/web', 3, '127.0.0.1:8081', 2]);
    expect(error.message).toBe(
      'malformed address at /disco/web:3: "127.0.0.1:8081"; expected "host port" or "host port * weight" (and 1 more malformed line)',
    );
  });

  it('has no key=value metadata, as linkerd has none: extra fields are malformed', () => {
    for (const line of ['a 80 zone=us', 'a 80 * 2 zone=us', 'a 80 *', 'a 80 x 2', 'a'])
      expect(parse(line)).toBeInstanceOf(MalformedAddressError);
  });

  it('rejects weights a balancer cannot use, which Java toDouble would take', () => {
    for (const weight of ['NaN', 'Infinity', '-1', '1e999', '0x10', '1.0d'])
      expect(parse(`a 80 * ${weight}`)).toBeInstanceOf(MalformedAddressError);
  });
});
