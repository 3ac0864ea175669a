import type { Command } from 'commander';
import { runDemo } from '../../demo/demo.js';
import { runCommand, withUsageExits } from '../common.js';

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${v}"`);
  return n;
};

export function registerDemoCommand(program: Command): void {
  withUsageExits(
    program
      .command('demo')
      .description(
        'Run the simulator and the daemon together on a fast clock in an emptied directory, with three companies ' +
          '(a backlog, one with nothing, one another system is using), show progress, and end with the status table ' +
          'and the simulator\'s count of rule violations (exit 1 if any).',
      )
      .option('--dir <dir>', 'the demo directory, emptied first', 'data')
      .option('--rate <n>', 'simulated seconds per real second', positive('--rate'), 1200)
      .option('--documents <n>', 'documents waiting for the backlog company', positive('--documents'), 3000)
      .option('--hours <n>', 'simulated hours to run', positive('--hours'), 4),
  ).action((o: { dir: string; rate: number; documents: number; hours: number }) =>
    runCommand(async () => {
      const code = await runDemo({
        dir: o.dir, rate: o.rate, backlog: Math.floor(o.documents), hours: o.hours,
        out: (line) => process.stdout.write(`${line}\n`),
      });
      return { text: '', exitCode: code };
    }),
  );
}
