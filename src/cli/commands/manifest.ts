/**
 * `dfe-sync manifest`: queues one recipient's event (Ciência, Confirmação,
 * Desconhecimento, Operação não Realizada) for the daemon to sign and send. Everything
 * is checked here, before the queue: an event SEFAZ refuses is refused for good, and the
 * same refused request sent again earns a 656.
 */
import type { Command } from 'commander';
import { systemClock, type Clock } from '../../clock.js';
import type { CompanyConfig, Config } from '../../config/index.js';
import { initialCompanyState, type CompanyState } from '../../rules/state.js';
import { BadRequestError } from '../../sefaz/errors.js';
import { EVENT_TYPES, buildEnvEvento, formatDhEvento, type EventCode, type EventName } from '../../sefaz/events.js';
import { cnpjProblem, isValidAccessKey, mod11Digit, parseAccessKey } from '../../sefaz/identifiers.js';
import { EVENT_LABELS, manifestationWords } from '../../status/manifestation.js';
import { openStore, stateDbPath, type Store } from '../../store/index.js';
import { CONFIG_OPTION_HELP, UsageError, loadCliConfig, runCommand, withUsageExits } from '../common.js';

export interface ManifestOptions {
  config?: string;
  cnpj: string;
  key: string;
  event: string;
  justification?: string;
}

export interface QueueIO {
  env: NodeJS.ProcessEnv;
  clock: Clock;
}

const EVENT_NAMES = Object.values(EVENT_TYPES).map((t) => t.name);

/** The configured company `--cnpj` names; anything else is a usage error. */
export function configuredCompany(config: Config, cnpj: string): CompanyConfig {
  const problem = cnpjProblem(cnpj);
  if (problem !== null) throw new UsageError(`--cnpj ${problem}`);
  const company = config.companies.find((c) => c.cnpj === cnpj);
  if (company === undefined) throw new UsageError(`--cnpj ${cnpj} is not a company of ${config.file}: add it there first`);
  return company;
}

/** A key as typed (the DANFE prints it in groups of four), checked to the check digit. */
export function accessKeyArg(typed: string, flag = '--key'): string {
  const key = typed.replace(/\s+/g, '').toUpperCase();
  if (isValidAccessKey(key)) return key;
  if (key.length !== 44) {
    throw new UsageError(`${flag} "${typed}" is not an access key: it has ${key.length} characters, an NF-e key has 44 digits`);
  }
  try {
    parseAccessKey(key);
  } catch {
    throw new UsageError(`${flag} "${typed}" is not an access key: only digits (and an alphanumeric CNPJ in positions 7-20) are allowed`);
  }
  throw new UsageError(`${flag} ${key}: the check digit is wrong (it should be ${mod11Digit(key.slice(0, 43))}, not ${key[43]}): look for a typo in the key`);
}

/**
 * The state database opened for writing, with the company in it: queued work needs its
 * row, and a company the daemon has not added yet gets it as the daemon would give it.
 */
export function openQueueStore(config: Config, company: CompanyConfig, clock: Clock): Store<CompanyState> {
  const store = openStore<CompanyState>(stateDbPath(config.stateDir), { clock });
  try {
    if (store.getCompany(company.cnpj) === null) {
      store.upsertCompanies([{ cnpj: company.cnpj, name: company.name, enabled: company.enabled, window: company.window.text, initialState: initialCompanyState() }]);
    }
    return store;
  } catch (error) {
    store.close();
    throw error;
  }
}

/** What a disabled company's queued work waits for. */
export function disabledNote(config: Config, company: CompanyConfig): string {
  return company.enabled ? '' : `note: ${company.cnpj} is disabled in ${config.file} (enabled: false): nothing is sent for it until it is enabled\n`;
}

function eventCodeArg(name: string): EventCode {
  const code = (Object.keys(EVENT_TYPES) as EventCode[]).find((c) => EVENT_TYPES[c].name === (name as EventName));
  if (code === undefined) throw new UsageError(`--event "${name}" is not an event: use one of ${EVENT_NAMES.join(', ')}`);
  return code;
}

function justificationArg(code: EventCode, typed: string | undefined): string | undefined {
  const type = EVENT_TYPES[code];
  const text = typed?.trim();
  if (text === undefined) {
    if (type.xJust === 'required') {
      throw new UsageError(`--event ${type.name} needs --justification TEXT (15 to 255 characters): why the operation did not take place`);
    }
    return undefined;
  }
  if (type.xJust === 'absent') {
    throw new UsageError(`--justification is not accepted with --event ${type.name}: ${EVENT_LABELS[code]} carries none`);
  }
  return text;
}

/**
 * The event exactly as the daemon will build it, so that every rule of the schema
 * (justification length and characters included) is checked once, in one place.
 */
function checkBuildable(config: Config, company: CompanyConfig, chNFe: string, tpEvento: EventCode, xJust: string | undefined, now: number): void {
  try {
    buildEnvEvento({
      idLote: '1',
      events: [{
        tpAmb: config.tpAmb, author: { CNPJ: company.cnpj }, chNFe, tpEvento,
        dhEvento: formatDhEvento(now, config.timezone), ...(xJust === undefined ? {} : { xJust }),
      }],
    });
  } catch (error) {
    if (error instanceof BadRequestError) throw new UsageError(error.message.replace(/^envEvento: event 1 of 1: /, ''));
    throw error;
  }
}

/** Queues the event once; a repeat says what became of the first and queues nothing. */
export function runManifest(opts: ManifestOptions, io: QueueIO): string {
  const config = loadCliConfig(opts.config, io.env);
  const company = configuredCompany(config, opts.cnpj);
  const chNFe = accessKeyArg(opts.key);
  const { mod } = parseAccessKey(chNFe);
  if (mod !== '55') {
    throw new UsageError(`--key ${chNFe} is a model ${mod} document: a recipient's events exist for NF-e (model 55) only`);
  }
  const tpEvento = eventCodeArg(opts.event);
  const xJust = justificationArg(tpEvento, opts.justification);
  const now = io.clock.now();
  checkBuildable(config, company, chNFe, tpEvento, xJust, now);

  const label = EVENT_LABELS[tpEvento];
  const store = openQueueStore(config, company, io.clock);
  try {
    const added = store.queueManifestations(company.cnpj, [{ chNFe, tpEvento, xJust: xJust ?? null, origin: 'manual' }], now);
    if (added === 1) {
      return `queued: ${label} for ${chNFe}; the running daemon sends it within seconds (or the next \`dfe-sync run\`)\n${disabledNote(config, company)}`;
    }
    const first = store.listManifestations(company.cnpj, chNFe).find((m) => m.tpEvento === tpEvento && m.nSeqEvento === 1);
    if (first === undefined) throw new Error(`the store queued no ${tpEvento} for ${chNFe} and holds none`);
    const words = manifestationWords(first, { now, timeZone: config.timezone });
    const never = first.state === 'failed' ? '; a refused event is never sent again (SEFAZ answers 656 to the same refused request repeated)' : '';
    return `not queued again: ${label} for ${chNFe} is already in the queue (state ${first.state}): ${words}${never}\n`;
  } finally {
    store.close();
  }
}

export function registerManifestCommand(program: Command): void {
  withUsageExits(
    program
      .command('manifest')
      .description("queue a recipient's event for an NF-e (Ciência da Operação and the others); the daemon signs and sends it")
      .option('--config <file>', CONFIG_OPTION_HELP)
      .requiredOption('--cnpj <cnpj>', 'the company (recipient) that manifests: a company of the config')
      .requiredOption('--key <key>', 'the NF-e access key (44 digits; spaces are ignored)')
      .requiredOption('--event <name>', `${EVENT_NAMES.join(' | ')}`)
      .option('--justification <text>', '15 to 255 characters: required for nao-realizada, optional for desconhecimento, refused otherwise')
      .addHelpText(
        'after',
        '\nThe event is queued in the state database: a running daemon sends it within seconds, otherwise the next\n' +
          '`dfe-sync run` does. The same event for the same key is never sent twice: a repeat says what became of it.\n' +
          'Run it as the service user (e.g. sudo -u dfe-sync dfe-sync manifest …) so the database keeps its owner.',
      )
      .action((opts: ManifestOptions) => runCommand(() => ({ text: runManifest(opts, { env: process.env, clock: systemClock }) }))),
  );
}
