/**
 * linkerd's delegate JSON (docs/namerd-api.md#json-shapes) as an indented tree for a terminal: each
 * node is its path, then the dentry that produced it in parentheses, then what it came to (bound
 * addresses, neg, fail, empty, an error). Alternatives are numbered in the order they are tried;
 * union branches show their weight and share of requests, so a canary split reads off directly.
 */
import type { JsonAddr, JsonBound, JsonDelegateTree } from '../naming/delegate-json.js';

const INDENT = '  ';
/** A leaf with more endpoints than this lists the first few and a count. */
const MAX_ADDRS = 4;

export function delegateTreeText(tree: JsonDelegateTree): string {
  const out: string[] = [];
  render(tree, 0, '', out);
  return out.map((line) => `${line}\n`).join('');
}

function render(node: JsonDelegateTree, depth: number, label: string, out: string[]): void {
  const dentry = node.dentry === undefined ? '' : `  (${node.dentry.prefix} => ${node.dentry.dst})`;
  const outcome = describe(node);
  out.push(`${INDENT.repeat(depth)}${label}${node.path}${dentry}${outcome === '' ? '' : `  ${outcome}`}`);
  switch (node.type) {
    case 'delegate':
      if (node.delegate !== undefined) render(node.delegate, depth + 1, '', out);
      break;
    case 'alt':
      (node.alt ?? []).forEach((child, i) => {
        render(child, depth + 1, `${i + 1}. `, out);
      });
      break;
    case 'union': {
      const branches = node.union ?? [];
      const total = branches.reduce((sum, b) => sum + b.weight, 0);
      for (const b of branches) render(b.tree, depth + 1, `${weightLabel(b.weight, total)}: `, out);
      break;
    }
    default:
      break;
  }
}

/** What the node comes to, after its path and dentry. */
function describe(node: JsonDelegateTree): string {
  switch (node.type) {
    case 'leaf':
      return node.bound === undefined ? 'leaf' : describeBound(node.path, node.bound);
    case 'neg':
      return 'neg (no route)';
    case 'fail':
      return 'fail';
    case 'empty':
      return 'empty (no endpoints)';
    case 'exception':
      return `error: ${node.message ?? 'unknown'}`;
    case 'alt':
      return 'alt (the first branch that binds)';
    case 'union':
      return 'union (each request picks one branch by weight)';
    case 'delegate':
      return '';
    default:
      return node.type;
  }
}

function describeBound(path: string, bound: JsonBound): string {
  const parts = [describeAddr(bound.addr)];
  if (bound.id !== path) parts.push(`as ${bound.id}`);
  if (bound.path !== '/') parts.push(`residual ${bound.path}`);
  return parts.join(', ');
}

function describeAddr(addr: JsonAddr): string {
  switch (addr.type) {
    case 'bound': {
      if (addr.addrs.length === 0) return 'bound, no endpoints';
      const shown = addr.addrs
        .slice(0, MAX_ADDRS)
        .map((a) => (a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`));
      const more = addr.addrs.length > MAX_ADDRS ? ` (+${addr.addrs.length - MAX_ADDRS} more)` : '';
      return `bound ${shown.join(', ')}${more}`;
    }
    case 'neg':
      return 'neg (the namer does not know this name)';
    case 'pending':
      return 'pending';
    case 'failed':
      return `failed: ${addr.cause}`;
    default:
      return (addr as { type: string }).type;
  }
}

/** `weight 19 (95%)`; the share is what the weight means, the weight is what the dtab says. */
function weightLabel(weight: number, total: number): string {
  if (total <= 0) return `weight ${weight}`;
  const share = Math.round((weight / total) * 1000) / 10;
  return `weight ${weight} (${share}%)`;
}
