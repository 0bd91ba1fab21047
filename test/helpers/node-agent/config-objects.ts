/**
 * Secrets and ConfigMaps read through the API for a pod's env vars and volumes, as the
 * kubelet reads them (it too gets them from the apiserver, not from files).
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { ConfigSource } from './container-env.ts';
import { isNotFound } from './errors.ts';

async function orUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function decoded(data: Record<string, string> | undefined, encoding: BufferEncoding): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, encoding)]));
}

export function apiConfigSource(core: CoreV1Api): ConfigSource {
  return {
    secret: async (namespace, name) => {
      const secret = await orUndefined(() => core.readNamespacedSecret({ namespace, name }));
      return secret && decoded(secret.data, 'base64');
    },
    configMap: async (namespace, name) => {
      const map = await orUndefined(() => core.readNamespacedConfigMap({ namespace, name }));
      return map && { ...decoded(map.data, 'utf8'), ...decoded(map.binaryData, 'base64') };
    },
  };
}
