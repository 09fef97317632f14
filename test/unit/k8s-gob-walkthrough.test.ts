/**
 * k8s/ runs linkerd's gRPC walkthrough (docs/kubernetes.md#the-walkthrough-on-the-cluster), read
 * from the manifests as kustomize would put them together, in both router layouts: namerd is
 * seeded with the walkthrough's four rules; every router (web's sidecar, the DaemonSet, the traffic
 * Job's own) shares one configuration, which the real routerConfig() accepts and whose identifiers
 * (the real buildIdentifier) name a gRPC call by its service and an HTTP request by its Host, both
 * under /grpc; every Service the dtab can reach has a port named grpc served by its app; web calls
 * its router over h2c (its sidecar on loopback, or its node's router at status.hostIP); the gRPC
 * apps are probed with the plain GET their port answers; the traffic Job sends Gen calls through
 * its own router. That the dtab binds against the Kubernetes API and the calls go through is
 * test/integration/k8s-gob-walkthrough.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { Dtab } from '../../src/dtab/dtab.js';
import { NameTree } from '../../src/dtab/name-tree.js';
import { Path } from '../../src/dtab/path.js';
import { genRequestProblem } from '../../src/quickstart/gob/proto.js';
import { buildIdentifier } from '../../src/router/core/identifier.js';
import { flagValue, routerSettings } from '../helpers/k8s-container-checks.js';
import {
  calledRouter,
  GOB_APPS,
  gobService,
  routers,
  routerYaml,
  STAGING_DENTRY,
  seededDtab,
  WALKTHROUGH_DTAB,
  walkthroughSets,
} from '../helpers/k8s-gob-topology.js';
import { type K8sObject, podTemplates } from '../helpers/k8s-manifests.js';
import { find } from '../helpers/k8s-object-checks.js';
import { head } from './router-core/memory.js';

const sets = walkthroughSets();
const grpcCall = (path: string, authority: string) =>
  head({ protocol: 'h2', method: 'POST', path, authority, headers: ['content-type', 'application/grpc'], grpc: true });

describe('k8s/ runs the gRPC walkthrough', () => {
  it("the seed Job gives namerd's default namespace the walkthrough's four rules", () => {
    for (const { layout, all } of sets) {
      const { file, text } = seededDtab(all);
      expect(file, layout).toBe('/etc/switchyard/dtabs/default.dtab');
      expect(Dtab.read(text).show(), layout).toBe(Dtab.read(WALKTHROUGH_DTAB).show());
    }
  });

  for (const { layout, all } of sets) {
    describe(`${layout} layout`, () => {
      it('every router (web, the traffic Job, the DaemonSet) runs the one config: dstPrefix /grpc, gRPC by path, HTTP by Host', () => {
        const found = routers(all).map(({ pod }) => `${pod.owner.object.kind}/${pod.owner.object.metadata.name}`);
        expect(found.sort()).toEqual(
          layout === 'sidecar' ? ['Deployment/web', 'Job/traffic'] : ['DaemonSet/router', 'Job/traffic'],
        );
        expect(routerYaml(all)).toContain('grpcOnly: true');
        for (const { pod, c } of routers(all)) {
          const config = routerSettings(all, pod, c);
          expect(config.dstPrefix).toBe('/grpc');
          expect(config.identifiers).toEqual([
            { kind: 'io.l5d.header.path', segments: 1, grpcOnly: true },
            { kind: 'io.l5d.header.token', header: 'host' },
          ]);
          expect(config.baseDtab).toMatchObject({
            kind: 'namerd',
            url: 'http://namerd-sync:4180',
            namespace: 'default',
          });
          expect(config.protocol).toBe('auto');
          const identify = buildIdentifier(config.identifiers, Path.read(config.dstPrefix));
          const named = (h: ReturnType<typeof head>) => {
            const r = identify(h);
            return typeof r === 'string' ? r : r.name.show();
          };
          // web sets :authority to the app it means; the path decides for a gRPC call.
          expect(named(grpcCall('/proto.GenSvc/Gen', 'gen'))).toBe('/grpc/proto.GenSvc');
          expect(named(grpcCall('/proto.WordSvc/GetWord', 'word'))).toBe('/grpc/proto.WordSvc');
          expect(named(head({ authority: 'web', path: '/gob?text=gob&limit=10' }))).toBe('/grpc/web');
          // Plain h2 that is not gRPC is named by its :authority too.
          expect(named(head({ protocol: 'h2', authority: 'web', path: '/gob', headers: [] }))).toBe('/grpc/web');
        }
      });

      it('the staging override is allowed by the routers: it sends gen to a Service of namespace default', () => {
        for (const { pod, c } of routers(all)) {
          const { enabled, allowDestinations } = routerSettings(all, pod, c).dtabOverrides;
          expect(enabled).toBe(true);
          const destination = NameTree.show(Dtab.read(STAGING_DENTRY).dentries[0]!.dst);
          expect(destination).toBe('/srv/gen-growthhack');
          expect(allowDestinations?.some((d) => Path.read(destination).startsWith(Path.read(d)))).toBe(true);
          // The same binding through the base dtab's /srv rule is how the policy's walk sees it.
          expect(Dtab.read(WALKTHROUGH_DTAB).lookup(Path.read(destination)).type).toBe('leaf');
        }
      });

      it("every Service the dtab reaches has a port named grpc, served on its pods' container port grpc", () => {
        const prefix = Dtab.read(WALKTHROUGH_DTAB).lookup(Path.read('/srv/x'));
        expect(prefix.type === 'leaf' && prefix.value.show()).toBe('/#/io.l5d.k8s/default/grpc/x');
        for (const app of GOB_APPS) {
          const s = gobService(all, app);
          expect(s.port, app).toMatchObject({ name: 'grpc', port: 8080, targetPort: 'grpc' });
          expect(s.container?.name, app).toBe(app);
          // The app listens on the port the Service sends to.
          expect(flagValue(s.container?.args ?? [], '--listen'), app).toBe(`0.0.0.0:${s.containerPort}`);
        }
        expect(gobService(all, 'gen').port?.appProtocol).toBe('kubernetes.io/h2c');
        expect(gobService(all, 'web').port?.appProtocol).toBe('http');
      });

      it("web calls its router over h2c: its sidecar on loopback, or its node's router at status.hostIP", () => {
        const web = gobService(all, 'web').container as K8sObject;
        expect(web.args.slice(0, 2)).toEqual(['example-app', 'web']);
        const called = calledRouter(web, flagValue(web.args, '--router') as string);
        const webPod = podTemplates(all).find((p) => p.owner.object.metadata.name === 'web');
        if (layout === 'sidecar') {
          const sidecar = (webPod?.spec.initContainers ?? []).find((c: K8sObject) => c.name === 'router');
          expect(sidecar?.restartPolicy).toBe('Always');
          expect(called).toBe(flagValue(sidecar.args, '--listen'));
          expect(called).toBe('127.0.0.1:4140');
        } else {
          expect(webPod?.spec.initContainers).toBeUndefined();
          const node = find(all, 'DaemonSet', 'router')?.object.spec.template.spec.containers[0];
          const port = node.ports.find((p: K8sObject) => p.containerPort === 4140);
          expect(flagValue(node.args, '--listen')).toBe('0.0.0.0:4140');
          expect(called).toBe(`status.hostIP:${port.hostPort}`);
        }
      });

      it('gen, gen-growthhack and word are probed with the plain HTTP GET / their grpc port answers', () => {
        for (const app of ['word', 'gen', 'gen-growthhack']) {
          const c = gobService(all, app).container as K8sObject;
          expect(c.readinessProbe?.httpGet, app).toEqual({ path: '/', port: 'grpc' });
          expect(c.livenessProbe?.httpGet, app).toEqual({ path: '/', port: 'grpc' });
        }
      });
    });
  }

  it("the traffic Job sends Gen calls through its own router, started only once that router has namerd's dtab", () => {
    const all = sets[0]?.all ?? [];
    const job = podTemplates(all).find(
      (p) => p.owner.object.kind === 'Job' && p.owner.object.metadata.name === 'traffic',
    );
    const traffic = (job?.spec.containers as K8sObject[] | undefined)?.find((c) => c.name === 'traffic') as K8sObject;
    const router = (job?.spec.initContainers as K8sObject[] | undefined)?.find((c) => c.name === 'router') as K8sObject;
    expect(router.restartPolicy).toBe('Always');
    expect(router.startupProbe?.httpGet).toEqual({ path: '/ready', port: 'admin' });
    expect(calledRouter(traffic, flagValue(traffic.args, '--url') as string)).toBe(flagValue(router.args, '--listen'));
    expect(flagValue(traffic.args, '--grpc')).toBe('proto.GenSvc/Gen');
    expect(genRequestProblem(JSON.parse(flagValue(traffic.args, '--data') as string))).toBeUndefined();
    expect(flagValue(traffic.args, '--track-header')).toBe('x-version');
    // Bounded: a rate for a duration, and a deadline on the whole Job.
    expect(Number(flagValue(traffic.args, '--qps'))).toBeGreaterThan(0);
    expect(flagValue(traffic.args, '--duration')).toMatch(/^\d+s$/);
    expect(job?.owner.object.spec.activeDeadlineSeconds).toBeGreaterThan(0);
  });
});
