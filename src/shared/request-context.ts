import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What every log line and audit record of one request needs to know about it. A worker's job runs
 * in a context of its own too (src/infrastructure/queues/worker-runtime.ts), carrying its job id.
 */
export interface RequestContext {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** Set by authentication once the caller is known. */
  adminId?: string;
  /** Set instead of adminId when the caller is a service with an API key. */
  apiKeyId?: string;
  /** Set on a worker's job context: the BullMQ job id. */
  readonly jobId?: string;
}

/** Carries the current RequestContext through async calls, so log lines need no plumbing. */
export class RequestContextStore {
  private readonly storage = new AsyncLocalStorage<RequestContext>();

  run<T>(context: RequestContext, fn: () => T): T {
    return this.storage.run(context, fn);
  }

  current(): RequestContext | undefined {
    return this.storage.getStore();
  }
}
