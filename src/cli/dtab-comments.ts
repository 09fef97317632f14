/**
 * Where the `#` comments of a dtab file sit relative to its dentries, so that formatting a
 * file keeps them: Dtab.read drops comments (they are whitespace to the language), and a
 * formatter that silently deleted an operator's notes would be unusable with --write.
 *
 * The scan reads the parser's own token stream (the moo lexer compiled from
 * grammar/dtab.ne), so a `#` is a comment here exactly when it is one to Dtab.read: inside a
 * path it is a label character (docs/dtab-language.md#whitespace-and-comments). Each comment is
 * attached to the dentry it precedes (on its own line), or follows (on the dentry's last line), or
 * to the end of the file; a comment inside a dentry that spans lines is moved in front of that
 * dentry.
 */
import { lexer } from '../dtab/generated/dtab-grammar.js';

export interface Comment {
  /** The comment from its `#`, without trailing whitespace. */
  readonly text: string;
  /** Whether a blank line separated it from what came before. */
  readonly blankBefore: boolean;
}

export interface DentryComments {
  /** Comments on their own lines between the previous dentry and this one. */
  readonly leading: Comment[];
  /** Whether a blank line came before the dentry's first character. */
  readonly blankBefore: boolean;
  /** Comments found inside the dentry, printed after `leading`. */
  readonly inner: Comment[];
  /** A comment on the dentry's last line, after its last token. */
  trailing: string | undefined;
}

export interface DtabComments {
  /** One entry per dentry, in order. */
  readonly dentries: readonly DentryComments[];
  /** Comments after the last dentry. */
  readonly footer: readonly Comment[];
}

/** Attaches every comment of an already-valid dtab text to a dentry or to the end. */
export function scanComments(text: string): DtabComments {
  const dentries: DentryComments[] = [];
  let pending: Comment[] = [];
  let current: DentryComments | undefined;
  // The dentry the most recent token belonged to, which a comment on the same line trails.
  let lastOwner: DentryComments | undefined;
  let newlines = 0;
  let seenAny = false;

  const token = (): void => {
    if (current === undefined) {
      current = { leading: pending, blankBefore: seenAny && newlines >= 2, inner: [], trailing: undefined };
      dentries.push(current);
      pending = [];
    } else if (current.trailing !== undefined) {
      // What looked like a trailing comment was followed by more of the dentry.
      current.inner.push({ text: current.trailing, blankBefore: false });
      current.trailing = undefined;
    }
    lastOwner = current;
    newlines = 0;
    seenAny = true;
  };

  const comment = (body: string): void => {
    if (lastOwner !== undefined && newlines === 0) {
      if (lastOwner.trailing !== undefined) lastOwner.inner.push({ text: lastOwner.trailing, blankBefore: false });
      lastOwner.trailing = body;
    } else if (current !== undefined) {
      current.inner.push({ text: body, blankBefore: false });
    } else {
      pending.push({ text: body, blankBefore: seenAny && newlines >= 2 });
    }
    newlines = 0;
    seenAny = true;
  };

  // The lexer is shared with the parser, which resets it before every parse; this loop runs
  // to the end without yielding, so the two never interleave.
  for (const tok of lexer.reset(text)) {
    switch (tok.type) {
      case 'ws':
        newlines += tok.lineBreaks;
        break;
      case 'comment':
        comment(tok.text.trimEnd());
        break;
      case 'semi':
        token();
        current = undefined;
        break;
      default:
        token();
    }
  }
  return { dentries, footer: pending };
}

export function countComments(comments: DtabComments): number {
  let n = comments.footer.length;
  for (const d of comments.dentries) n += d.leading.length + d.inner.length + (d.trailing === undefined ? 0 : 1);
  return n;
}
