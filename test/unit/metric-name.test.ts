/**
 * One metric description, two spellings: linkerd's flat metrics.json key and its Prometheus
 * name and labels (docs/router.md#metrics), with the text format's escaping.
 */
import { describe, expect, it } from 'vitest';
import { escapeHelp, escapeLabelValue, metricName, prometheusName } from '../../src/telemetry/metric-name.js';

describe('metricName', () => {
  it('interleaves each labelled part with its value in the flat key', () => {
    const id = metricName('rt:service:requests', { rt: 'http', service: 'svc/foo' });
    expect(id.flatKey).toBe('rt/http/service/svc/foo/requests');
    expect(id.family).toBe('rt:service:requests');
    expect(id.labelText).toBe('rt="http",service="svc/foo"');
    expect(id.pattern).toBe('rt/{rt}/service/{service}/requests');
  });

  it('keeps client ids and status codes whole, whatever the order of the labels object', () => {
    const client = metricName('rt:client:requests', { client: '$/inet/127.1/9030', rt: 'http' });
    expect(client.flatKey).toBe('rt/http/client/$/inet/127.1/9030/requests');
    expect(client.labelText).toBe('rt="http",client="$/inet/127.1/9030"');
    const status = metricName('rt:client:status', { status: '200', rt: 'http', client: '$/inet/127.1/9030' });
    expect(status.flatKey).toBe('rt/http/client/$/inet/127.1/9030/status/200');
    expect(status.labelText).toBe('rt="http",client="$/inet/127.1/9030",status="200"');
  });

  it('appends labels that name no part after the name, sorted, like linkerd’s failures/<exception>', () => {
    const id = metricName('rt:service:failures', { rt: 'http', service: 'svc/a', exception: 'ConnectException' });
    expect(id.flatKey).toBe('rt/http/service/svc/a/failures/ConnectException');
    expect(id.labelText).toBe('rt="http",service="svc/a",exception="ConnectException"');
    expect(metricName('x', { b: '2', a: '1' }).flatKey).toBe('x/1/2');
  });

  it('leaves unlabelled parts alone and names without labels unlabelled', () => {
    const id = metricName('process:uptime_ms');
    expect(id).toMatchObject({ flatKey: 'process/uptime_ms', family: 'process:uptime_ms', labelText: '' });
    expect(metricName('rt:service:request_latency_ms', { rt: 'h' }).flatKey).toBe('rt/h/service/request_latency_ms');
  });

  it('rejects empty parts and label names Prometheus cannot carry', () => {
    expect(() => metricName('rt::requests')).toThrow(/empty part/);
    expect(() => metricName('a', { 'bad-label': 'x' })).toThrow(/not a valid label name/);
    expect(() => metricName('a', { __name__: 'x' })).toThrow(/not a valid label name/);
    expect(() => metricName('a', { '0a': 'x' })).toThrow(/not a valid label name/);
  });
});

describe('Prometheus spelling', () => {
  it('turns characters outside [a-zA-Z0-9:_] into _', () => {
    expect(prometheusName('rt:service:request_latency_ms')).toBe('rt:service:request_latency_ms');
    expect(prometheusName('rt:client:loadbalancer:p2c.size-x')).toBe('rt:client:loadbalancer:p2c_size_x');
    expect(prometheusName('9lives')).toBe('_9lives');
  });

  it('escapes backslash, double quote and line feed in label values, and nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('/$/inet/127.1/9030 ünïcode\t{}=,')).toBe('/$/inet/127.1/9030 ünïcode\t{}=,');
    const id = metricName('rt:service:requests', { rt: 'h', service: 'say "hi"\\\n' });
    expect(id.labelText).toBe('rt="h",service="say \\"hi\\"\\\\\\n"');
    // The flat key is a JSON key: it keeps the raw value.
    expect(id.flatKey).toBe('rt/h/service/say "hi"\\\n/requests');
  });

  it('escapes backslash and line feed in HELP text', () => {
    expect(escapeHelp('a\\b\n"c"')).toBe('a\\\\b\\n"c"');
  });
});
