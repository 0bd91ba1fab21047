/**
 * Sends a pod's status to `pods/status`, one patch at a time, the newest winning: while a
 * patch is in flight later ones collapse into the last. A pod that is gone (404) or was
 * replaced under the same name (the UID guard fails, 409) takes no more patches.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { CoreV1Api } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.ts';

const ATTEMPTS = 5;

export class StatusWriter {
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #name: string;
  readonly #report: (message: string) => void;
  #next: Record<string, unknown> | undefined;
  #busy = false;
  #drained: Promise<void> = Promise.resolve();
  #gone = false;
  #lastSent = '';

  constructor(core: CoreV1Api, pod: { namespace: string; name: string }, report: (message: string) => void) {
    this.#core = core;
    this.#namespace = pod.namespace;
    this.#name = pod.name;
    this.#report = report;
  }

  publish(body: Record<string, unknown>): void {
    this.#next = body;
    if (this.#busy) return;
    this.#busy = true;
    this.#drained = this.#drain();
  }

  /** Resolves once every published status is sent (or given up on). */
  async flush(): Promise<void> {
    await this.#drained;
  }

  async #drain(): Promise<void> {
    while (this.#next !== undefined && !this.#gone) {
      const body = this.#next;
      this.#next = undefined;
      await this.#send(body);
    }
    this.#busy = false;
  }

  async #send(body: Record<string, unknown>): Promise<void> {
    // A pod waiting for a claim reports the same status every retry: send it once.
    const text = JSON.stringify(body);
    if (text === this.#lastSent) return;
    const options = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#core.patchNamespacedPodStatus({ namespace: this.#namespace, name: this.#name, body }, options);
        this.#lastSent = text;
        return;
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) {
          this.#gone = true;
          return;
        }
        if (attempt >= ATTEMPTS || this.#next !== undefined) {
          this.#report(`status of pod ${this.#namespace}/${this.#name} not sent: ${String(err)}`);
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }
}
