/**
 * An h2 request's body as core's RequestBody; `received` counts what node pushed, read or not.
 *
 * Core and the upstreams get a Readable of their own, not the h2 stream: that stream is also
 * the response, and a consumer that destroys its request body once sent (undici does) would
 * close the caller's stream before any answer went out. The view reads the stream only when
 * read from and pauses it when full, so the caller's flow-control window still follows the
 * upstream's pace; destroying it stops reading and leaves the response side alone.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { RequestBody } from '../../core/exchange.js';

/** The body of a request arriving on `stream`, as core reads it. */
export function bodyOf(stream: ServerHttp2Stream): RequestBody {
  // node marks a stream closed while its response was still open as aborted, and a reset with its code.
  const cut = () => stream.aborted || (stream.rstCode ?? 0) !== 0;
  let received = 0;
  let complete = false;
  // Counting in push() sees bytes as they arrive, before anyone reads them.
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null) complete = !cut();
    else if (chunk instanceof Uint8Array) received += chunk.byteLength;
    return push(chunk, encoding);
  };
  let reading = false;
  const onData = (chunk: Buffer) => {
    if (!view.push(chunk)) stream.pause();
  };
  // The body is complete only on END_STREAM: the caller resetting the stream also ends its
  // readable side, and forwarding that as an end would hand the upstream a truncated body as whole.
  const onEnd = () => {
    if (cut()) view.destroy(new Error('the caller reset its stream before its body ended'));
    else view.push(null);
  };
  // A stream closed before its body ended: the caller reset it or its connection went.
  const onClose = () => {
    if (!stream.readableEnded) view.destroy(new Error('the caller closed its stream before its body ended'));
  };
  const view = new Readable({
    read() {
      if (reading) return void stream.resume();
      reading = true;
      // node ends an empty body's stream by itself (no 'data' to wait for): nothing to read.
      if (stream.readableEnded) return void view.push(null);
      stream.on('data', onData);
      stream.once('end', onEnd);
    },
    destroy(error, callback) {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.pause();
      callback(error);
    },
  });
  stream.once('close', onClose);
  // Nobody may be reading yet when the caller resets; the consumers that are listen for themselves.
  view.on('error', () => {});
  return {
    stream: view,
    get complete() {
      return complete;
    },
    received: () => received,
  };
}
