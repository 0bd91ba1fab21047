/**
 * Failures of the test node agent, each with a stable `code`. `UNSUPPORTED_POD` and
 * `NO_MOUNTS` fail the pod (what a real node would do differently is out of the agent's
 * reach); `WAITING` keeps it Pending and is retried, as a kubelet retries a mount or a
 * missing Secret; `CONTAINER_NOT_FOUND` answers the kubelet endpoints.
 */
export type NodeAgentErrorCode = 'UNSUPPORTED_POD' | 'NO_MOUNTS' | 'WAITING' | 'CONTAINER_NOT_FOUND';

export class NodeAgentError extends Error {
  readonly code: NodeAgentErrorCode;
  /** The kubelet's reason for a waiting container (`ContainerCreating`, `CreateContainerConfigError`). */
  readonly reason: string;

  constructor(code: NodeAgentErrorCode, message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options);
    this.name = 'NodeAgentError';
    this.code = code;
    this.reason = options?.reason ?? 'ContainerCreating';
  }
}

export function isNodeAgentError(err: unknown, code?: NodeAgentErrorCode): err is NodeAgentError {
  return err instanceof NodeAgentError && (code === undefined || err.code === code);
}

/** The API's 404, as client-node reports it. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 404;
}

export function isConflict(err: unknown): boolean {
  return (err as { code?: number } | undefined)?.code === 409;
}
