/**
 * The only way the dashboards build DOM: elements with attributes and children, where every
 * string child becomes a text node. Values from users (dtabs, paths, peer and service names,
 * header values) therefore never pass through an HTML parser; there is no innerHTML here.
 */
type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** A titled section of a page, with a region that is re-filled on each update. */
export function section(title: string, id: string): { root: HTMLElement; body: HTMLElement } {
  const body = h('div', { class: 'body', id: `${id}-body` });
  const root = h('section', { id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), body);
  return { root, body };
}

export function table(head: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h(
    'table',
    {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`${status}: ${body.trim()}`);
  }
}

/** GET (or any method) of JSON; non-2xx answers throw HttpError with the server's text. */
export async function fetchJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { cache: 'no-store', ...init });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text);
  return JSON.parse(text) as T;
}

/** Sets a status line: role=status so screen readers hear changes without focus moving. */
export function statusLine(): { el: HTMLElement; set(text: string, bad?: boolean): void } {
  const el = h('p', { role: 'status', class: 'status' });
  return {
    el,
    set(text, bad = false) {
      el.textContent = text;
      el.classList.toggle('bad', bad);
    },
  };
}

/** The page frame: a header with the component's name and a main region. */
export function page(title: string, subtitle: string): HTMLElement {
  const main = h('main', { id: 'main' });
  document.body.replaceChildren(
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('header', {}, h('h1', {}, title), h('p', { class: 'sub' }, subtitle)),
    main,
  );
  return main;
}

export const fmt = {
  rate: (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : '–'),
  pct: (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(n >= 0.9995 || n === 0 ? 0 : 2)}%` : '–'),
  ms: (n: number | undefined) =>
    n === undefined || !Number.isFinite(n) ? '–' : `${n < 10 ? n.toFixed(2) : n.toFixed(0)} ms`,
};

/** Runs `tick` now and every `ms` while the page is open, never two at once. */
export function every(ms: number, tick: () => Promise<void>): void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await tick();
    } finally {
      running = false;
    }
  };
  void run();
  setInterval(() => void run(), ms);
}

/**
 * A poll that reports on the page's status line: "live, updated …" when it worked, what failed
 * (and where) when it did not; the page keeps showing the last good numbers either way.
 */
export function guarded(
  status: ReturnType<typeof statusLine>,
  what: string,
  f: () => Promise<void>,
): () => Promise<void> {
  return async () => {
    try {
      await f();
      status.set(`live, updated ${new Date().toLocaleTimeString()}`);
    } catch (err) {
      status.set(`${what}: ${(err as Error).message}`, true);
    }
  };
}
