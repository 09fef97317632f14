/**
 * Where a router's base dtab comes from, as its configuration says: inline text, a watched file,
 * or a namespace in namerd (whose watchers page names the router by its User-Agent).
 */
import type { RouterConfig } from '../../config/router-config.js';
import type { Logger } from '../../telemetry/logger.js';
import type { BaseDtabSource } from './base-dtab.js';
import { FileDtabSource } from './file-dtab-source.js';
import { NamerdDtabSource } from './namerd-dtab-source.js';
import { StaticDtabSource } from './static-dtab-source.js';

export function baseSource(config: RouterConfig, logger: Logger, adminUrl: () => string): BaseDtabSource {
  const b = config.baseDtab;
  switch (b.kind) {
    case 'inline':
      return new StaticDtabSource(b.text);
    case 'file':
      return new FileDtabSource({ file: b.file, logger });
    case 'namerd':
      return new NamerdDtabSource({
        url: b.url,
        namespace: b.namespace,
        logger,
        ...(b.cacheFile ? { cacheFile: b.cacheFile } : {}),
        // Names this router on namerd's watchers page (docs/dashboards.md).
        userAgent: () => `switchyard-router/${config.label} admin=${adminUrl()}`,
      });
  }
}
