/**
 * Two operator replicas elect one leader on a real Lease: exactly one leads; when the
 * leader stops it hands the Lease back and the other leads at once; when the leader
 * dies without a word (its requests just stop), the other leads after the lease runs out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '#src/core/clock.ts';
import { silentLogger } from '#src/core/logger.ts';
import { LeaderElector, type LeaseStore } from '#src/controllers/runtime/leader-election.ts';
import { KubeLeaseStore } from '#src/k8s/client/lease-store.ts';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';

let cp: ControlPlane;
before(async () => {
  cp = await startControlPlane({ name: 'election' });
  await cp.createNamespace('holdfast-system');
});
after(async () => {
  await cp?.stop();
});

interface Replica {
  readonly name: string;
  readonly elector: LeaderElector;
  readonly stop: AbortController;
  leading: boolean;
  crashed: boolean;
  done: Promise<void>;
}

function replica(lease: string, name: string): Replica {
  const real = new KubeLeaseStore(cp.kubeConfig(), 'holdfast-system', lease);
  const r: Replica = { name, stop: new AbortController(), leading: false, crashed: false, done: Promise.resolve(), elector: undefined as unknown as LeaderElector };
  const dead = (): Promise<never> => new Promise(() => {});
  const store: LeaseStore = {
    get: () => (r.crashed ? dead() : real.get()),
    create: (rec) => (r.crashed ? dead() : real.create(rec)),
    update: (rec, rv) => (r.crashed ? dead() : real.update(rec, rv)),
  };
  Object.assign(r, { elector: new LeaderElector({ identity: name, store, clock: systemClock, logger: silentLogger, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200 }) });
  r.done = r.elector.run({ onStartedLeading: () => { r.leading = true; }, onStoppedLeading: () => { r.leading = false; } }, r.stop.signal);
  return r;
}

describe('leader election on a Lease', () => {
  it('elects exactly one of two replicas and fails over at once when the leader stops', async () => {
    const a = replica('holdfast-leader-1', 'a');
    const b = replica('holdfast-leader-1', 'b');
    const leader = await eventually('a leader', async () => (a.leading || b.leading ? (a.leading ? a : b) : undefined));
    const other = leader === a ? b : a;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(a.leading && b.leading, false, 'never two leaders');
    const stoppedAt = Date.now();
    leader.stop.abort();
    await leader.done;
    await eventually('the other replica to lead', async () => other.leading || undefined);
    assert.ok(Date.now() - stoppedAt < 2500, `took over in ${Date.now() - stoppedAt} ms (released lease)`);
    other.stop.abort();
    await other.done;
  });

  it('fails over after the lease duration when the leader dies silently', async () => {
    const a = replica('holdfast-leader-2', 'a');
    await eventually('a to lead', async () => a.leading || undefined);
    const b = replica('holdfast-leader-2', 'b');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(b.leading, false, 'b waits while a renews');
    const crashedAt = Date.now();
    a.crashed = true;
    await eventually('b to lead', async () => b.leading || undefined);
    const waited = Date.now() - crashedAt;
    assert.ok(waited >= 2000, `b took over after ${waited} ms, not before the lease ran out`);
    b.stop.abort();
    await b.done;
  });
});
