/**
 * `dfe-sync export`: every stored document as a file, the way `output.dir` writes them
 * (same function), read one at a time so a million documents never sit in memory.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DfeSyncError } from '../../errors.js';
import { writeDocumentFile } from '../../output/documentFiles.js';
import type { CompanyState } from '../../rules/state.js';
import { cnpjProblem } from '../../sefaz/identifiers.js';
import { openStateReadOnly } from '../../status/readOnlyStore.js';
import { stateDbPath, type Store } from '../../store/index.js';
import { CONFIG_OPTION_HELP, UsageError, loadCliConfig, runCommand, withUsageExits } from '../common.js';

export interface ExportOptions {
  config?: string;
  out: string;
  cnpj?: string;
}

export interface ExportCounts {
  written: number;
  unchanged: number;
  /** Documents whose docZip never decompressed, written as they came (`.docZip`). */
  raw: number;
}

export interface ExportSummary extends ExportCounts {
  out: string;
  byCnpj: Map<string, ExportCounts>;
}

/** Writes the stored documents (of `cnpj`, or all) under `out`; files already identical are left alone. */
export function exportDocuments(store: Store<CompanyState>, out: string, cnpj?: string): ExportSummary {
  const summary: ExportSummary = { out, written: 0, unchanged: 0, raw: 0, byCnpj: new Map() };
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new DfeSyncError('EXPORT_OUT_UNWRITABLE', `cannot create the output directory ${out}: ${(error as Error).message}`, { cause: error });
  }
  for (const doc of store.iterateDocuments(cnpj === undefined ? {} : { cnpj })) {
    let result;
    try {
      result = writeDocumentFile(out, doc);
    } catch (error) {
      throw new DfeSyncError(
        'EXPORT_WRITE_FAILED',
        `cannot write document ${doc.NSU ?? doc.chNFe ?? doc.id} of CNPJ ${doc.cnpj} under ${out}: ${(error as Error).message}; ` +
          `the ${summary.written + summary.unchanged} files done so far are complete: fix the cause and run export again (unchanged files are skipped)`,
        { cause: error },
      );
    }
    let counts = summary.byCnpj.get(doc.cnpj);
    if (counts === undefined) {
      counts = { written: 0, unchanged: 0, raw: 0 };
      summary.byCnpj.set(doc.cnpj, counts);
    }
    counts[result.outcome] += 1;
    summary[result.outcome] += 1;
    if (result.path.endsWith('.docZip')) {
      counts.raw += 1;
      summary.raw += 1;
    }
  }
  return summary;
}

function countsText(c: ExportCounts): string {
  const raw = c.raw === 0 ? '' : `, ${c.raw} raw (.docZip: stored as received, could not be decompressed)`;
  return `${c.written} written, ${c.unchanged} unchanged${raw}`;
}

export function formatExportSummary(s: ExportSummary): string {
  const total = s.written + s.unchanged;
  const lines = [`exported ${total} document${total === 1 ? '' : 's'} to ${s.out}: ${countsText(s)}`];
  for (const [cnpj, c] of s.byCnpj) lines.push(`  ${cnpj}  ${countsText(c)}`);
  return `${lines.join('\n')}\n`;
}

export function runExport(opts: ExportOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.cnpj !== undefined) {
    const problem = cnpjProblem(opts.cnpj);
    if (problem !== null) throw new UsageError(`--cnpj ${problem}`);
  }
  const config = loadCliConfig(opts.config, env);
  const database = stateDbPath(config.stateDir);
  const store = openStateReadOnly(database);
  if (store === null) {
    if (opts.cnpj !== undefined && !config.companies.some((c) => c.cnpj === opts.cnpj)) {
      throw new UsageError(`--cnpj ${opts.cnpj} is not a company of ${config.file}`);
    }
    throw new DfeSyncError('EXPORT_NO_STATE', `no state database at ${database}: the daemon has not run yet, so no document is stored to export`);
  }
  try {
    const configured = config.companies.some((c) => c.cnpj === opts.cnpj);
    if (opts.cnpj !== undefined && !configured && store.getCompany(opts.cnpj) === null) {
      throw new UsageError(`--cnpj ${opts.cnpj} is neither a company of ${config.file} nor stored in ${database}`);
    }
    const summary = exportDocuments(store, resolve(opts.out), opts.cnpj);
    if (opts.cnpj !== undefined && !summary.byCnpj.has(opts.cnpj)) summary.byCnpj.set(opts.cnpj, { written: 0, unchanged: 0, raw: 0 });
    return formatExportSummary(summary);
  } finally {
    store.close();
  }
}

export function registerExportCommand(program: Command): void {
  withUsageExits(
    program
      .command('export')
      .description('write every stored document as DIR/<cnpj>/<NSU>-<kind>[-<key>].xml (atomic; re-running skips unchanged files)')
      .option('--config <file>', CONFIG_OPTION_HELP)
      .requiredOption('--out <dir>', 'directory to write the documents under')
      .option('--cnpj <cnpj>', "only this company's documents")
      .action((opts: ExportOptions) => runCommand(() => ({ text: runExport(opts) }))),
  );
}
