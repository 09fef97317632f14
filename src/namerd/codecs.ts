/**
 * namerd's dtab codecs: they live with the rest of namerd's wire protocol in src/namerd-protocol/
 * (one definition for namerd and its clients); namerd's routes import them from here.
 */
export {
  DTAB_TYPE,
  type DtabMediaType,
  decodeDtab,
  encodeDtab,
  JSON_TYPE,
  mediaType,
  NDJSON_TYPE,
  negotiate,
  TEXT_TYPE,
  wantsNdjson,
} from '../namerd-protocol/dtab-codec.js';
export { encodeWatchEvent } from '../namerd-protocol/watch-event.js';
