/**
 * The example services of linkerd's gRPC "gob" walkthrough (proto/gob.proto), small enough to
 * read at a glance, one file each under gob/: `word` answers a word, `gen` streams a text back
 * `limit` times, `gen-growthhack` is the new gen the walkthrough stages and canaries, and `web` is
 * the HTTP/1.1 front end that calls both through the router, passing the routing context of its
 * request (`l5d-ctx-*`, `l5d-dtab`) on as gRPC metadata.
 */
export { type GenApp, type GenVersion, startGen, startGenGrowthhack } from './gob/gen.js';
export type { App } from './gob/listen.js';
export { startWeb } from './gob/web.js';
export { startWord } from './gob/word.js';
