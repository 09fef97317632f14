/**
 * The shapes of the Kubernetes objects the namer reads
 * (docs/k8s-namer.md#from-objects-to-addresses), as they arrive in JSON: only the fields it uses,
 * every one optional or nullable, because the API omits empty fields and older servers send `null`
 * where newer ones send `[]` (linkerd/linkerd#1219 broke on a null `subsets`). Nothing here is
 * trusted to be present.
 */

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>> | null;
  readonly annotations?: Readonly<Record<string, string>> | null;
}

export interface K8sObject {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: ObjectMeta;
}

export interface ServicePort {
  readonly name?: string | null;
  readonly port?: number | null;
  readonly targetPort?: number | string | null;
  readonly protocol?: string | null;
}

export interface Service extends K8sObject {
  readonly spec?: { readonly ports?: readonly ServicePort[] | null } | null;
}

export interface SliceEndpoint {
  readonly addresses?: readonly string[] | null;
  readonly conditions?: {
    readonly ready?: boolean | null;
    readonly serving?: boolean | null;
    readonly terminating?: boolean | null;
  } | null;
  readonly hostname?: string | null;
  readonly nodeName?: string | null;
  readonly zone?: string | null;
}

export interface SlicePort {
  readonly name?: string | null;
  readonly port?: number | null;
  readonly protocol?: string | null;
}

export interface EndpointSlice extends K8sObject {
  readonly addressType?: string;
  readonly endpoints?: readonly SliceEndpoint[] | null;
  readonly ports?: readonly SlicePort[] | null;
}

export interface EndpointAddress {
  readonly ip?: string;
  readonly hostname?: string | null;
  readonly nodeName?: string | null;
}

export interface EndpointSubset {
  readonly addresses?: readonly EndpointAddress[] | null;
  readonly notReadyAddresses?: readonly EndpointAddress[] | null;
  readonly ports?: readonly SlicePort[] | null;
}

/** v1 Endpoints, the fallback where EndpointSlices are not served (deprecated since 1.33). */
export interface Endpoints extends K8sObject {
  readonly subsets?: readonly EndpointSubset[] | null;
}

/** metav1.Status: the body of an error answer, and the object of an `ERROR` watch event. */
export interface Status extends K8sObject {
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly object: K8sObject;
}

export interface ObjectList {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly K8sObject[] | null;
}

/** `namespace/name`: how a reflector's store keys its objects. */
export function objectKey(o: K8sObject): string | undefined {
  const name = o.metadata?.name;
  return name === undefined ? undefined : `${o.metadata?.namespace ?? ''}/${name}`;
}
