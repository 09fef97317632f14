/**
 * web's gRPC clients, which call gen and word through the router, never directly: plaintext h2
 * (h2c) to the router's address, so the router names each call (by its path, /proto.GenSvc/Gen,
 * or by its :authority, `gen`), applies the dtab and picks the version. Like any app in a linkerd
 * mesh, web passes on the routing context of the request it is serving (`l5d-ctx-*`, and
 * `l5d-dtab` when called directly) as metadata of its calls, which is what lets one header sent
 * to web stage a new gen behind it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { type GenClient, gob, type WordClient } from './proto.js';

/** The router's address as a grpc-js target (`host:port`); throws on a URL web cannot call. */
export function routerTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`must be an http:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' || parsed.hostname === '' || (parsed.pathname !== '/' && parsed.pathname !== '')) {
    throw new Error(`must be an http://HOST:PORT URL with no path (web calls it over h2c), got ${JSON.stringify(url)}`);
  }
  return `${parsed.hostname}:${parsed.port || '80'}`;
}

/** Metadata values are printable ASCII; a header that is not (or a binary `-bin` key) stays behind. */
export function routingContext(headers: IncomingHttpHeaders): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(headers)) {
    if (!/^l5d-(ctx-|dtab$)/.test(name) || name.endsWith('-bin') || typeof value !== 'string') continue;
    try {
      metadata.set(name, value);
    } catch {
      // grpc-js refuses the value: not ASCII, so no router would read it either.
    }
  }
  return metadata;
}

export interface ViaRouter {
  gen(): GenClient;
  word(): WordClient;
  close(): void;
}

/** Our messages are a few bytes; a bigger one is a broken or hostile peer. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Clients for the router at `routerUrl`, read again per call when it is a function (the quickstart
 * learns its router's port only after web listens); a new address replaces the old clients.
 */
export function viaRouter(routerUrl: string | (() => string)): ViaRouter {
  let current: { target: string; gen: GenClient; word: WordClient } | undefined;
  const clients = () => {
    const target = routerTarget(typeof routerUrl === 'string' ? routerUrl : routerUrl());
    if (current?.target === target) return current;
    current?.gen.close();
    current?.word.close();
    const { GenSvc, WordSvc } = gob();
    // :authority says which app is meant, for a router that names requests by Host.
    const options = (authority: string): grpc.ChannelOptions => ({
      'grpc.default_authority': authority,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    });
    const insecure = grpc.credentials.createInsecure();
    current = {
      target,
      gen: new GenSvc(target, insecure, options('gen')) as unknown as GenClient,
      word: new WordSvc(target, insecure, options('word')) as unknown as WordClient,
    };
    return current;
  };
  return {
    gen: () => clients().gen,
    word: () => clients().word,
    close: () => {
      current?.gen.close();
      current?.word.close();
      current = undefined;
    },
  };
}
