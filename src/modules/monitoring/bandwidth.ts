import type { PanelNodesMetrics, PanelNodesUsage } from '../../integrations/remnawave/remnawave-infra.replies';

/**
 * `/monitoring/bandwidth?period=`: the panel's traffic over a rolling period of UTC days ending
 * today (today: 1 day, week: 7, month: 30), from its nodes usage by range.
 *
 * Remnawave 3.4 keeps no upload/download split by period: nodes usage gives one total per node.
 * Its only in/out figures are the inbound counters of the nodes metrics (since each node's core
 * started). So `bytes_total` is the measured figure, and `bytes_in` (client upload: traffic into
 * the VPN) and `bytes_out` (download) divide it in the proportion of those counters, marked
 * `split: "estimated"`; with no counters to go by they are null and `split: "unavailable"`.
 */
export const BANDWIDTH_PERIODS = ['today', 'week', 'month'] as const;
export type BandwidthPeriod = (typeof BANDWIDTH_PERIODS)[number];

const DAYS: Record<BandwidthPeriod, number> = { today: 1, week: 7, month: 30 };
const DAY_MS = 86_400_000;

export interface Bandwidth {
  period: BandwidthPeriod;
  start: string;
  end: string;
  bytes_total: number;
  bytes_in: number | null;
  bytes_out: number | null;
  split: 'estimated' | 'unavailable';
}

const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10);

/** The first and last UTC day (YYYY-MM-DD, inclusive) of a period ending on `now`'s day. */
export function periodRange(period: BandwidthPeriod, now: Date): { start: string; end: string } {
  return { start: isoDay(now.getTime() - (DAYS[period] - 1) * DAY_MS), end: isoDay(now.getTime()) };
}

export function bandwidthOf(period: BandwidthPeriod, range: { start: string; end: string }, usage: PanelNodesUsage, metrics: PanelNodesMetrics): Bandwidth {
  const total = usage.series.reduce((sum, node) => sum + node.total, 0);
  let upload = 0n;
  let download = 0n;
  for (const node of metrics.nodes) {
    for (const inbound of node.inboundsStats) {
      upload += BigInt(inbound.upload);
      download += BigInt(inbound.download);
    }
  }
  const counted = upload + download;
  if (counted === 0n) return { period, ...range, bytes_total: total, bytes_in: null, bytes_out: null, split: 'unavailable' };
  const bytesIn = Math.round(total * (Number((upload * 1_000_000n) / counted) / 1_000_000));
  return { period, ...range, bytes_total: total, bytes_in: bytesIn, bytes_out: total - bytesIn, split: 'estimated' };
}
