// The gRPC length-prefixed message: 1 byte compressed flag (always 0 here), 4 bytes big-endian
// length, then the message. Shared by the bench upstream, the streaming client and the smoke
// checks so that the framing lives in one place.

/** One framed message around `payload` (a Buffer). */
export function frame(payload) {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = 0;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/**
 * Splits a byte stream into messages across chunk boundaries. `push(chunk)` returns the complete
 * messages the chunk finished; a message longer than `maxBytes` is a protocol error (the bench
 * never sends one, so it means the path under test corrupted the stream).
 */
export function deframer(maxBytes = 1 << 20) {
  let pending = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const messages = [];
      let at = 0;
      while (pending.length - at >= 5) {
        const length = pending.readUInt32BE(at + 1);
        if (pending[at] !== 0) throw new Error('compressed gRPC message: the bench never sends one');
        if (length > maxBytes) throw new Error(`gRPC message of ${length} bytes is over ${maxBytes}`);
        if (pending.length - at - 5 < length) break;
        messages.push(pending.subarray(at + 5, at + 5 + length));
        at += 5 + length;
      }
      pending = pending.subarray(at);
      return messages;
    },
    get buffered() {
      return pending.length;
    },
  };
}

/** Counts messages without keeping them: the streaming client's hot loop. */
export function counter() {
  let need = 0; // bytes of the current message body still to skip
  let header = Buffer.alloc(0);
  let count = 0;
  return {
    push(chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (need > 0) {
          const take = Math.min(need, chunk.length - at);
          need -= take;
          at += take;
          if (need === 0) count++;
          continue;
        }
        const take = Math.min(5 - header.length, chunk.length - at);
        header = Buffer.concat([header, chunk.subarray(at, at + take)]);
        at += take;
        if (header.length === 5) {
          need = header.readUInt32BE(1);
          header = Buffer.alloc(0);
          if (need === 0) count++;
        }
      }
    },
    get count() {
      return count;
    },
  };
}
