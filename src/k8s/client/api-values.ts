/** Small facts about talking to the API server through client-node, shared by the clients here. */

/** The HTTP status of a failed client-node call (ApiException.code), if any. */
export function apiStatus(err: unknown): number | undefined {
  return (err as { code?: number } | null)?.code;
}

/** The API server's own message of a failed client-node call (the Status body), else the error's. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const status = JSON.parse(body) as { message?: string };
      if (status.message) return status.message;
    } catch {
      // not a Status object: fall through
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * MicroTime fields (Lease times, Event times) must carry exactly six fractional digits;
 * client-node serialises Dates with three. This Date prints six.
 */
class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  override toJSON(): string {
    return this.toISOString();
  }
}

export function microTime(d: Date): Date {
  return new MicroTime(d.getTime());
}
