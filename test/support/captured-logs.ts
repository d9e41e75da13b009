import Transport from 'winston-transport';

/** A winston transport that keeps every entry, so tests can read what the server logged. */
export class CapturedLogs extends Transport {
  readonly entries: Record<string, unknown>[] = [];

  override log(info: Record<string, unknown>, next: () => void): void {
    this.entries.push(info);
    next();
  }

  withRequestId(requestId: string): Record<string, unknown>[] {
    return this.entries.filter((entry) => entry.request_id === requestId);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
