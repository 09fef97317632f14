/**
 * linkerd's delegation tree (the JSON of /delegator.json and namerd's /api/1/delegate) as nested
 * lists: each node shows its path, the dentry that rewrote it, and what it became. Every string
 * is put in as text.
 */
import { h } from './dom.js';

export interface DelegateNode {
  type: string;
  path: string;
  dentry?: { prefix: string; dst: string };
  delegate?: DelegateNode;
  alt?: DelegateNode[];
  union?: { weight: number; tree: DelegateNode }[];
  bound?: {
    id: string;
    path: string;
    addr: { type: string; cause?: string; addrs?: { ip: string; port: number }[] };
  };
  message?: string;
}

/** At most this deep and this many nodes: a hostile tree must not freeze the page. */
const MAX_DEPTH = 64;
const MAX_NODES = 2000;

export function renderDelegateTree(root: DelegateNode): HTMLElement {
  let budget = MAX_NODES;
  const node = (t: DelegateNode, depth: number): HTMLElement => {
    if (--budget < 0 || depth > MAX_DEPTH) return h('li', { class: 'muted' }, '… (tree cut here)');
    const head = h(
      'div',
      { class: `node node-${t.type}` },
      h('code', { class: 'path' }, t.path),
      t.dentry ? h('span', { class: 'dentry' }, ' ← ', h('code', {}, `${t.dentry.prefix} => ${t.dentry.dst}`)) : null,
      ' ',
      h('span', { class: `tag tag-${t.type}` }, t.type),
    );
    const kids: HTMLElement[] = [];
    if (t.delegate) kids.push(node(t.delegate, depth + 1));
    for (const a of t.alt ?? []) kids.push(node(a, depth + 1));
    for (const u of t.union ?? []) {
      const li = node(u.tree, depth + 1);
      li.prepend(h('span', { class: 'weight' }, `${u.weight} × `));
      kids.push(li);
    }
    const extra: HTMLElement[] = [];
    if (t.bound) {
      const a = t.bound.addr;
      const where =
        a.type === 'bound'
          ? (a.addrs ?? []).map((x) => `${x.ip}:${x.port}`).join(', ') || '(no addresses)'
          : a.type === 'failed'
            ? `failed: ${a.cause ?? ''}`
            : a.type;
      extra.push(h('div', { class: 'bound' }, 'client ', h('code', {}, t.bound.id), ' → ', h('span', {}, where)));
    }
    if (t.message) extra.push(h('div', { class: 'bad' }, t.message));
    return h('li', {}, head, ...extra, kids.length ? h('ul', {}, ...kids) : null);
  };
  return h('ul', { class: 'tree' }, node(root, 0));
}

/**
 * The delegator explorer (router and namerd pages alike): a path and an optional dtab, explained
 * by `explain` (the router's /delegator.json, namerd's /api/1/delegate) into a tree below.
 * Returns the form and the place the tree goes.
 */
export function delegatorForm(
  dtabLabel: string,
  explain: (path: string, dtab: string) => Promise<DelegateNode>,
): { form: HTMLFormElement; out: HTMLElement } {
  const pathInput = h('input', {
    id: 'delegate-path',
    name: 'path',
    value: '/svc/',
    required: true,
    spellcheck: 'false',
  });
  const extraInput = h('textarea', {
    id: 'delegate-dtab',
    name: 'dtab',
    rows: '2',
    spellcheck: 'false',
    placeholder: '/svc/foo => /srv/bar',
  });
  const out = h('div', { id: 'delegate-tree', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'stack' },
    h('label', { for: 'delegate-path' }, 'Path'),
    pathInput,
    h('label', { for: 'delegate-dtab' }, dtabLabel),
    extraInput,
    h('button', { type: 'submit' }, 'Explain'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    out.replaceChildren(h('p', { class: 'muted' }, 'Explaining…'));
    try {
      out.replaceChildren(renderDelegateTree(await explain(pathInput.value, extraInput.value)));
    } catch (err) {
      out.replaceChildren(h('p', { class: 'bad' }, (err as Error).message));
    }
  });
  return { form, out };
}
