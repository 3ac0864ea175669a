/**
 * `dfe-sync fetch`: queues consChNFe (by key) or consNSU (by NSU) queries. The daemon
 * sends them oldest first within the company's hourly budget (targetedPerHour, SEFAZ
 * allows 20 per rolling hour): this command only queues, so it can never exceed it.
 */
import type { Command } from 'commander';
import { systemClock } from '../../clock.js';
import type { CompanyConfig, Config } from '../../config/index.js';
import { decideTargeted, recordTargetedCall } from '../../rules/engine.js';
import { HOUR_MS, type CompanyState, type RuleSettings } from '../../rules/state.js';
import { windowStatus } from '../../rules/window.js';
import { formatLocalDate, formatLocalTime } from '../../time/zone.js';
import { formatNSU, isNSU } from '../../sefaz/identifiers.js';
import { ruleSettingsOf } from '../../sync/context.js';
import type { TargetedInput } from '../../store/index.js';
import { CONFIG_OPTION_HELP, UsageError, loadCliConfig, repeatable, runCommand, withUsageExits } from '../common.js';
import { accessKeyArg, configuredCompany, disabledNote, openQueueStore, type QueueIO } from './manifest.js';

export interface FetchOptions {
  config?: string;
  cnpj: string;
  key: string[];
  nsu?: string;
}

/** When the last of `waiting` queries may go, by the daemon's own rule; or why none goes. */
export type SendEstimate = { kind: 'at'; at: number } | { kind: 'never'; why: string };

/**
 * Replays the daemon's decision (decideTargeted) for each waiting query, oldest first:
 * the rolling hour, a 656 block, the capture window and a stop all count, as they will.
 */
export function estimateLastSend(
  state: CompanyState,
  waiting: number,
  company: Pick<CompanyConfig, 'window'>,
  timeZone: string,
  settings: RuleSettings,
  now: number,
): SendEstimate {
  let s = state;
  let t = now;
  for (let i = 0; i < waiting; i++) {
    for (;;) {
      const decision = decideTargeted(s, { now: t, window: windowStatus(company.window.ranges, timeZone, t), settings });
      if (decision.allowed) break;
      if (decision.until === null) return { kind: 'never', why: decision.detail ?? decision.reason };
      t = Math.max(t + 1, decision.until);
    }
    s = recordTargetedCall(s, t, settings);
  }
  return { kind: 'at', at: t };
}

function queriesArg(opts: FetchOptions): TargetedInput[] {
  const keys = opts.key ?? [];
  if (keys.length > 0 && opts.nsu !== undefined) {
    throw new UsageError('--key and --nsu cannot be combined: give --key K (one or more) for consChNFe, or one --nsu N for consNSU');
  }
  if (opts.nsu !== undefined) {
    const typed = opts.nsu.trim();
    if (!isNSU(typed)) throw new UsageError(`--nsu "${opts.nsu}" is not an NSU: up to 15 digits`);
    if (/^0+$/.test(typed)) throw new UsageError('--nsu 0 names no document: NSUs start at 1');
    return [{ op: 'consNSU', value: formatNSU(typed), reason: 'manual' }];
  }
  if (keys.length === 0) throw new UsageError('say what to fetch: --key K (repeatable) for consChNFe, or --nsu N for consNSU');
  return [...new Set(keys.map((k) => accessKeyArg(k)))].map((value) => ({ op: 'consChNFe', value, reason: 'manual' }));
}

const local = (at: number, timeZone: string): string => `${formatLocalDate(at, timeZone)} ${formatLocalTime(at, timeZone)}`;

function whenLine(estimate: SendEstimate, waiting: number, now: number, timeZone: string): string {
  if (estimate.kind === 'never') return `nothing goes out for now: ${estimate.why}`;
  if (estimate.at <= now) return waiting === 1 ? 'it can go out at once' : 'all of them can go out at once';
  return `the last of them should go out around ${local(estimate.at, timeZone)} if the daemon runs and nothing else is queued`;
}

/** Queues each query once (an identical one still waiting is not queued twice) and says what waits. */
export function runFetch(opts: FetchOptions, io: QueueIO): string {
  const config: Config = loadCliConfig(opts.config, io.env);
  const company = configuredCompany(config, opts.cnpj);
  const queries = queriesArg(opts);
  const now = io.clock.now();
  const store = openQueueStore(config, company, io.clock);
  try {
    const lines = [`${queries[0]!.op} for ${company.cnpj} (${company.name}):`];
    for (const q of queries) {
      // One at a time, so that each line can say whether this one was new.
      const [id] = store.queueTargeted(company.cnpj, [q], now);
      lines.push(`  ${q.value}  ${id === undefined ? 'already waiting: not queued twice' : `queued, id ${id}`}`);
    }
    const waiting = store.countTargetedQueued(company.cnpj);
    const used = store.targetedCallsSince(company.cnpj, now - HOUR_MS + 1).length;
    const state = store.getCompany(company.cnpj)!.state;
    const settings = ruleSettingsOf(config, company.targetedPerHour);
    const estimate = estimateLastSend(state, waiting, company, config.timezone, settings, now);
    lines.push(
      `${waiting} targeted quer${waiting === 1 ? 'y waits' : 'ies wait'} for ${company.cnpj}, sent oldest first within its budget of ` +
        `${company.targetedPerHour} consChNFe/consNSU per rolling hour (targetedPerHour; ${used} sent in the last hour): ` +
        `${whenLine(estimate, waiting, now, config.timezone)}.`,
      'A running daemon picks them up within a few seconds; without one they wait for the next `dfe-sync run`.',
    );
    return `${lines.join('\n')}\n${disabledNote(config, company)}`;
  } finally {
    store.close();
  }
}

export function registerFetchCommand(program: Command): void {
  withUsageExits(
    program
      .command('fetch')
      .description('queue consChNFe (by access key) or consNSU (by NSU) queries; the daemon sends them within the hourly budget')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .requiredOption('--cnpj <cnpj>', 'the company that asks: a company of the config')
      .option('--key <key>', 'an NF-e access key to fetch with consChNFe (repeat for several)', repeatable, [])
      .option('--nsu <nsu>', 'one NSU to fetch with consNSU (not with --key)')
      .addHelpText(
        'after',
        '\nSEFAZ allows 20 consChNFe/consNSU per CNPJ per rolling hour; the daemon sends at most targetedPerHour (default 19),\n' +
          'counted in the state database across restarts and commands, oldest first. A running daemon picks the queries up\n' +
          'within a few seconds; otherwise they wait for the next `dfe-sync run`. Run it as the service user.',
      )
      .action((opts: FetchOptions) => runCommand(() => ({ text: runFetch(opts, { env: process.env, clock: systemClock }) }))),
  );
}
