/**
 * namerd's admin page: namespaces; the dtab of one with an editor that asks namerd's own parser
 * (POST /admin/dtab/validate) for line:column as you type, a diff against the stored version and a
 * compare-and-set save (If-Match); its history with rollback (namectl's: the old dtab written as a
 * new version, If-Match the current one); the delegator; and the routers watching each namespace
 * with the version each was last sent (/admin/watchers.json). API calls go to this port's relay
 * of /api/1 (see src/namerd/admin-app.ts).
 */
import { type DelegateNode, delegatorForm } from './delegate-tree.js';
import { every, fetchJson, fill, HttpError, h, page, section, statusLine, table } from './dom.js';
import { lineDiff } from './line-diff.js';

interface Version {
  version: string;
  number: number;
  time: string;
  message?: string;
  deleted?: boolean;
  dentries?: number;
}
interface Watcher {
  namespace: string;
  remote: string;
  userAgent: string;
  since: string;
  version: string | null;
  number: number | null;
}
interface Validation {
  ok: boolean;
  dentries?: number;
  line?: number;
  column?: number;
  message?: string;
}

const main = page('switchyard namerd', location.host);
const status = statusLine();
main.append(status.el);

const state = { ns: null as string | null, stored: '', etag: null as string | null, valid: false };
const ns = () => encodeURIComponent(state.ns ?? '');

const tokenInput = h('input', {
  id: 'token',
  type: 'password',
  autocomplete: 'off',
  placeholder: 'only when namerd has a tokenFile',
});
tokenInput.value = sessionStorage.getItem('switchyard-token') ?? '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('switchyard-token', tokenInput.value));
const writeHeaders = (extra: Record<string, string>): Record<string, string> => ({
  'x-switchyard-ui': '1',
  ...(tokenInput.value ? { authorization: `Bearer ${tokenInput.value}` } : {}),
  ...extra,
});

async function getText(url: string): Promise<{ text: string; etag: string | null }> {
  const res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/dtab' } });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text);
  return { text, etag: res.headers.get('etag') };
}

// --- namespaces ------------------------------------------------------------------------------------
const namespaces = section('Namespaces', 'namespaces');
main.append(namespaces.root);
async function loadNamespaces(): Promise<void> {
  const names = await fetchJson<string[]>('/admin/api/1/dtabs');
  fill(
    namespaces.body,
    names.length === 0
      ? h('p', { class: 'muted' }, 'No namespaces yet.')
      : h(
          'ul',
          { class: 'row plain', id: 'namespace-list' },
          ...names.map((n) =>
            h(
              'li',
              {},
              h('button', { type: 'button', 'aria-pressed': String(n === state.ns), onclick: () => void select(n) }, n),
            ),
          ),
        ),
  );
}

// --- editor ------------------------------------------------------------------------------------------
const editor = section('Dtab', 'editor');
const editorTitle = h('p', { id: 'editor-ns', class: 'muted' }, 'Choose a namespace.');
const textarea = h('textarea', { id: 'dtab-text', rows: '10', spellcheck: 'false', 'aria-describedby': 'dtab-check' });
const check = h('p', { id: 'dtab-check', role: 'status' });
const diffOut = h('pre', {
  id: 'dtab-diff',
  class: 'diff',
  tabindex: '0',
  'aria-label': 'changes against the stored version',
});
const messageInput = h('input', { id: 'dtab-message', placeholder: 'why (stored with the version)' });
const saveButton = h('button', { type: 'button', id: 'dtab-save', disabled: true }, 'Save (compare-and-set)');
const saveOut = h('p', { id: 'dtab-save-result', role: 'status' });
editor.body.append(
  editorTitle,
  h('label', { for: 'dtab-text' }, 'Dtab'),
  textarea,
  check,
  h('label', { for: 'dtab-message' }, 'Message'),
  messageInput,
  h('label', { for: 'token' }, 'Bearer token'),
  tokenInput,
  saveButton,
  saveOut,
  h('h3', {}, 'Changes'),
  diffOut,
);
main.append(editor.root);

let validateTimer: number | undefined;
let validateSeq = 0;
textarea.addEventListener('input', () => {
  clearTimeout(validateTimer);
  saveButton.disabled = true;
  validateTimer = window.setTimeout(() => void validate(), 250);
});

async function validate(): Promise<void> {
  const seq = ++validateSeq;
  const text = textarea.value;
  const v = await fetchJson<Validation>('/admin/dtab/validate', {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: text,
  });
  if (seq !== validateSeq) return;
  state.valid = v.ok;
  check.classList.toggle('bad', !v.ok);
  check.textContent = v.ok
    ? `valid: ${v.dentries} dentries`
    : v.line !== undefined
      ? `line ${v.line}:${v.column}: ${v.message}`
      : `invalid: ${v.message}`;
  fill(
    diffOut,
    ...lineDiff(state.stored, text).map((l) =>
      h('span', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : '' }, `${l.op} ${l.text}\n`),
    ),
  );
  saveButton.disabled = !v.ok || state.ns === null || text === state.stored;
}

saveButton.addEventListener('click', async () => {
  if (state.ns === null || !state.valid) return;
  const res = await fetch(`/admin/api/1/dtabs/${ns()}`, {
    method: 'PUT',
    headers: writeHeaders({
      'content-type': 'application/dtab',
      ...(state.etag ? { 'if-match': state.etag } : {}),
      ...(messageInput.value ? { 'x-dtab-message': messageInput.value } : {}),
    }),
    body: textarea.value,
  });
  const text = await res.text();
  if (res.ok) {
    saveOut.className = 'ok';
    saveOut.textContent = `saved as ${res.headers.get('etag')}`;
    messageInput.value = '';
    await select(state.ns);
  } else {
    saveOut.className = 'bad';
    saveOut.textContent =
      res.status === 412
        ? 'Not saved: someone changed the dtab since you loaded it. Reload it and edit again.'
        : `Not saved: ${res.status} ${text.trim()}`;
  }
});

// --- history -------------------------------------------------------------------------------------------
const history = section('History', 'history');
main.append(history.root);
async function loadHistory(): Promise<void> {
  if (state.ns === null) return;
  const versions = await fetchJson<Version[]>(`/admin/api/1/dtabs/${ns()}/versions`);
  fill(
    history.body,
    table(
      ['version', 'time', 'dentries', 'message', ''],
      // namerd lists the newest first.
      versions.map((v) => [
        h('code', {}, `${v.number} (${v.version})`),
        v.time,
        v.deleted ? 'deleted' : (v.dentries ?? ''),
        v.message ?? '',
        v.deleted || v.version === state.etag
          ? ''
          : h(
              'button',
              { type: 'button', 'data-version': String(v.number), onclick: () => void rollback(v) },
              `Roll back to ${v.number}`,
            ),
      ]),
    ),
  );
}

async function rollback(v: Version): Promise<void> {
  if (state.ns === null) return;
  try {
    const old = await getText(`/admin/api/1/dtabs/${ns()}?version=${v.number}`);
    const res = await fetch(`/admin/api/1/dtabs/${ns()}`, {
      method: 'PUT',
      headers: writeHeaders({
        'content-type': 'application/dtab',
        ...(state.etag ? { 'if-match': state.etag } : {}),
        'x-dtab-message': `rollback to version ${v.number}`,
      }),
      body: old.text,
    });
    const text = await res.text();
    if (!res.ok) throw new HttpError(res.status, res.status === 412 ? 'the dtab changed meanwhile; reload' : text);
    status.set(`rolled back to version ${v.number}: now ${res.headers.get('etag')}`);
    await select(state.ns);
  } catch (err) {
    status.set(`rollback failed: ${(err as Error).message}`, true);
  }
}

// --- delegator -----------------------------------------------------------------------------------------
const delegator = section('Delegator', 'delegator');
const { form, out: treeOut } = delegatorForm('Extra dtab, optional', (path, dtab) => {
  if (state.ns === null) return Promise.reject(new Error('Choose a namespace first.'));
  const q = new URLSearchParams({ path, dtab });
  return fetchJson<DelegateNode>(`/admin/api/1/delegate/${ns()}?${q}`);
});
delegator.body.append(form, treeOut);
main.append(delegator.root);

// --- watchers ------------------------------------------------------------------------------------------
const watchers = section('Who watches', 'watchers');
main.append(watchers.root);
/** `switchyard-router/<label> admin=<url>` → the router's name and admin page (http(s) links only). */
function who(ua: string): (Node | string)[] {
  const m = /^switchyard-router\/(\S+)(?: admin=(\S+))?/.exec(ua);
  if (m === null) return [ua || '(no User-Agent)'];
  const admin = m[2] !== undefined && /^https?:\/\//.test(m[2]) ? h('a', { href: m[2] }, m[2]) : null;
  return [h('span', { class: 'router' }, `router ${m[1]}`), admin ? ' ' : '', admin ?? ''];
}
async function loadWatchers(): Promise<void> {
  const list = await fetchJson<Watcher[]>('/admin/watchers.json');
  if (list.length === 0) return fill(watchers.body, h('p', { class: 'muted' }, 'Nobody watches a namespace now.'));
  fill(
    watchers.body,
    table(
      ['namespace', 'who', 'from', 'version sent', 'since'],
      list.map((w) => [
        h('code', {}, w.namespace),
        h('span', {}, ...who(w.userAgent)),
        w.remote,
        w.number === null
          ? '–'
          : h(
              'span',
              // Behind: the namespace shown has moved on and this watcher has not been sent it yet.
              { class: w.namespace === state.ns && state.etag !== null && w.version !== state.etag ? 'bad' : '' },
              `${w.number} (${w.version})`,
              w.namespace === state.ns && state.etag !== null && w.version !== state.etag ? ' behind' : '',
            ),
        w.since,
      ]),
    ),
  );
}

async function select(name: string): Promise<void> {
  state.ns = name;
  const found = await getText(`/admin/api/1/dtabs/${encodeURIComponent(name)}`);
  state.stored = found.text;
  state.etag = found.etag;
  textarea.value = found.text;
  editorTitle.textContent = `namespace ${name}, version ${found.etag ?? '?'}`;
  await Promise.all([validate(), loadHistory(), loadNamespaces()]);
}

const guard = (what: string, f: () => Promise<void>) => async () => {
  try {
    await f();
  } catch (err) {
    status.set(`${what}: ${(err as Error).message}`, true);
  }
};
every(5000, guard('namespaces', loadNamespaces));
every(2000, guard('watchers', loadWatchers));
