/**
 * switchyard's public API: the dtab algebra (Path, Prefix, NameTree, Dentry, Dtab), the one
 * syntax error callers catch, and binding and explaining names through a dtab.
 */

export { Dentry } from './dtab/dentry.js';
export { Dtab } from './dtab/dtab.js';
export type { Alt, EmptyTree, FailTree, Leaf, NegTree, Union, Weighted } from './dtab/name-tree.js';
export { NameTree } from './dtab/name-tree.js';
export { Path } from './dtab/path.js';
export { AnyElem, Prefix } from './dtab/prefix.js';
export {
  ctxDtabHeader,
  DTAB_HEADERS_LIMIT,
  dtabLocalHeader,
  effectiveDtab,
  type HeaderPairs,
  L5D_CTX_DTAB,
  L5D_DTAB,
  readFinagleDtabHeaders,
  readL5dDtabHeaders,
} from './dtab/request-dtab.js';
export { createError, DtabSyntaxError, type ErrorCode, errorCodes, SwitchyardError } from './errors.js';
export { bind, defaultInterpreter, delegate } from './namers/default-interpreter.js';
export { FsNamer, type FsNamerOptions } from './namers/fs.js';
export { InetResolver } from './namers/inet-resolver.js';
export { K8sNamer, type K8sNamerOptions } from './namers/k8s/k8s-namer.js';
export { Activity, type ActivityState } from './naming/activity.js';
export { Addr, type Address } from './naming/addr.js';
export { Bound } from './naming/bound.js';
export { delegateTreeToJson, type JsonDelegateTree } from './naming/delegate-json.js';
export type { DelegateTree } from './naming/delegate-tree.js';
export { type BoundLeaf, type BoundTree, type InterpreterOptions, NameInterpreter } from './naming/interpreter.js';
export type { MountedNamer, Name, Namer } from './naming/namer.js';
export { Var } from './naming/var.js';
