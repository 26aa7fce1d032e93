/**
 * The size of each log page as it came off the wire (the CQL frame's body length), for the
 * process's in-flight bound (inflight-bytes.ts): a page of driver rows is held from its arrival
 * until its records are built, and how many such pages a process holds grows with its slots and
 * SOURCE_READ_CONCURRENCY, i.e. with the cluster, unless they are counted.
 *
 * The driver reports the length only to a request tracker, keyed by nothing of ours but the query
 * options object, which it passes back (`getRawQueryOptions`); each page's request gets its own.
 */
import cassandra from 'cassandra-driver';

// the driver refuses a tracker that is not an instance of its class, which its types declare as an interface
const Tracker = (cassandra.tracker as unknown as { RequestTracker: new () => cassandra.tracker.RequestTracker }).RequestTracker;

export class ResponseBytes extends Tracker {
  private readonly sizes = new WeakMap<object, number>();

  override onSuccess(
    _host: cassandra.Host,
    _query: unknown,
    _parameters: unknown,
    executionOptions: cassandra.ExecutionOptions,
    _requestLength: number,
    responseLength: number,
  ): void {
    const raw = executionOptions.getRawQueryOptions() as object | undefined;
    if (raw) this.sizes.set(raw, responseLength);
  }

  /** The response length of the request made with `options` (0 when the driver reported none), forgotten once taken. */
  take(options: object): number {
    const n = this.sizes.get(options) ?? 0;
    this.sizes.delete(options);
    return n;
  }
}

/** The tracker `client` was created with (scylla-session.ts), or a new one that never learns a size. */
export function responseBytesOf(client: cassandra.Client): ResponseBytes {
  const tracker = (client as { options?: { requestTracker?: unknown } }).options?.requestTracker;
  return tracker instanceof ResponseBytes ? tracker : new ResponseBytes();
}
