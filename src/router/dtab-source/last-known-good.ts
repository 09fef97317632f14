/**
 * The on-disk last-known-good base dtab (`--dtab-cache FILE`). A router restarted while namerd is
 * down (a node reboot during a namerd outage) would otherwise stay unready and drop all traffic;
 * with the cache it routes on the dtab it last had, marked stale. Every write is atomic (temp file,
 * fsync, rename), so a crash mid-write leaves the previous cache, never a torn one. Writes are
 * queued and coalesced: only the newest dtab matters, and a burst of updates costs one write.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Dtab } from '../../dtab/dtab.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import type { Logger } from '../../telemetry/logger.js';
import { type BaseDtabSnapshot, describeParseError } from './base-dtab.js';

const FORMAT = 'switchyard.dtab-cache/1';

export interface CachedDtab {
  readonly snapshot: BaseDtabSnapshot;
  /** Where the cached dtab originally came from (its snapshot's source is the cache file). */
  readonly origin: string;
}

export class LastKnownGoodCache {
  readonly file: string;
  readonly #namespace: string;
  readonly #log: Logger;
  #pending: BaseDtabSnapshot | undefined;
  #writing: Promise<void> | undefined;
  #lastWritten: string | undefined;

  constructor(file: string, namespace: string, logger: Logger) {
    this.file = path.resolve(file);
    this.#namespace = namespace;
    this.#log = logger;
  }

  /** The cached dtab, or null when there is none or it cannot be used (logged: the router still starts). */
  async read(): Promise<CachedDtab | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#log.warn({ file: this.file, error: (e as Error).message }, 'dtab cache unreadable; ignoring it');
      }
      return null;
    }
    try {
      const doc = JSON.parse(text) as Record<string, unknown>;
      if (doc.format !== FORMAT || typeof doc.dtab !== 'string') throw new Error(`not a ${FORMAT} document`);
      // A cache left by a router of another namespace must not route this one.
      if (doc.namespace !== this.#namespace) {
        throw new Error(`cached for namespace "${String(doc.namespace)}", not "${this.#namespace}"`);
      }
      let dtab: Dtab;
      try {
        dtab = Dtab.read(doc.dtab);
      } catch (e) {
        throw new Error(describeParseError(this.file, e));
      }
      const savedAt = typeof doc.savedAt === 'string' ? Date.parse(doc.savedAt) : Number.NaN;
      return {
        origin: typeof doc.source === 'string' ? doc.source : 'unknown',
        snapshot: {
          dtab,
          source: `cache:${this.file}`,
          ...(typeof doc.version === 'string' ? { version: doc.version } : {}),
          updatedAt: Number.isFinite(savedAt) ? savedAt : Date.now(),
        },
      };
    } catch (e) {
      this.#log.warn({ file: this.file, error: (e as Error).message }, 'dtab cache invalid; ignoring it');
      return null;
    }
  }

  /** Queues `snapshot` to be written; returns at once (failures are logged, routing does not wait on disk). */
  save(snapshot: BaseDtabSnapshot): void {
    this.#pending = snapshot;
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
    });
  }

  /** Resolves once every queued write has finished. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    for (let s = this.#pending; s !== undefined; s = this.#pending) {
      this.#pending = undefined;
      const doc = `${JSON.stringify({
        format: FORMAT,
        namespace: this.#namespace,
        source: s.source,
        version: s.version,
        savedAt: new Date(s.updatedAt).toISOString(),
        dtab: s.dtab.show(),
      })}\n`;
      // A resync after a reconnect brings the same version again: no need to touch the disk.
      const key = `${s.version}\n${s.dtab.show()}`;
      if (key === this.#lastWritten) continue;
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, doc);
        this.#lastWritten = key;
      } catch (e) {
        this.#log.warn({ file: this.file, error: (e as Error).message }, 'could not write the dtab cache');
      }
    }
  }
}
