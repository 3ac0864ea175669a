/** Decisions in words, for `status` and the logs. Times are local to the company's zone. */
import type { DistCallReason, DistDecision, TargetedDecision } from './engine.js';
import { formatLocalDate, formatLocalTime } from '../time/zone.js';

export interface DescribeOptions {
  now: number;
  timeZone: string;
}

/** "14:02", or "2026-11-21 05:00" when the instant falls on another local day than now. */
export function formatInstant(at: number, { now, timeZone }: DescribeOptions): string {
  const time = formatLocalTime(at, timeZone);
  const date = formatLocalDate(at, timeZone);
  return date === formatLocalDate(now, timeZone) ? time : `${date} ${time}`;
}

function until(at: number | null, opts: DescribeOptions, never: string): string {
  return at === null ? never : `until ${formatInstant(at, opts)}`;
}

function describeTargeted(decision: TargetedDecision, opts: DescribeOptions): string {
  if (decision.allowed) return 'consNSU/consChNFe allowed now';
  switch (decision.reason) {
    case 'stopped':
      return decision.detail ?? 'stopped';
    case 'blocked-656':
      return `blocked by 656 ${until(decision.until, opts, '')}`.trimEnd();
    case 'outside-window':
      return `outside window ${until(decision.until, opts, '(it never opens)')}`;
    case 'targeted-limit':
      return decision.until === null
        ? `consNSU/consChNFe disabled${decision.detail === undefined ? '' : ` (${decision.detail})`}`
        : `consNSU/consChNFe budget for the hour used ${until(decision.until, opts, '')}`;
  }
}

const CALL_WORDS: Readonly<Record<DistCallReason, string>> = {
  first: 'first distNSU, from ultNSU',
  draining: 'draining from ultNSU',
  check: 'checking for new documents after ultNSU',
  retry: 'retrying distNSU from ultNSU',
};

function describeDist(decision: DistDecision, opts: DescribeOptions): string {
  switch (decision.kind) {
    case 'stopped':
      return decision.reason;
    case 'call':
      return `${CALL_WORDS[decision.reason]} ${decision.ultNSU}`;
    case 'wait':
      switch (decision.reason) {
        case 'blocked-656':
          return `blocked by 656 ${until(decision.until, opts, '')}`.trimEnd();
        case 'nothing-left':
          return `nothing left: waiting 1 h after 137 or ultNSU = maxNSU ${until(decision.until, opts, '')}`.trimEnd();
        case 'lost-answer-maybe-137':
          return `answer lost, it may have been a 137: waiting 1 h ${until(decision.until, opts, '')}`.trimEnd();
        case 'backoff':
          return `backing off after a failure ${until(decision.until, opts, '')}`.trimEnd();
        case 'outside-window':
          return `outside window ${until(decision.until, opts, '(it never opens)')}`;
        case 'call-in-flight':
          return 'a distNSU is in flight';
      }
  }
}

/** Words for status and logs: "blocked by 656 until 14:02", "outside window until 05:00", "draining from ultNSU …". */
export function describeWait(decision: DistDecision | TargetedDecision, opts: DescribeOptions): string {
  return 'allowed' in decision ? describeTargeted(decision, opts) : describeDist(decision, opts);
}
