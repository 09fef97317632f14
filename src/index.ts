/**
 * switchyard's public API: the dtab algebra (Path, Prefix, NameTree, Dentry, Dtab), its one
 * error class, and binding names through a dtab.
 */

export { Dentry } from './dtab/dentry.js';
export { Dtab } from './dtab/dtab.js';
export { NameTree } from './dtab/name-tree.js';
export { Path } from './dtab/path.js';
export { AnyElem, Prefix } from './dtab/prefix.js';
export { DtabSyntaxError, SwitchyardError } from './errors.js';
