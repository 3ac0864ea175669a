import { z } from 'zod';
import { cnpjProblem } from '../sefaz/identifiers.js';
import { SimulatorError } from './errors.js';
import type { SimCallOp } from './service.js';

/**
 * Faults the simulator can inject into its next matching calls. `reset`, `truncate` and
 * `malformed` lose an answer SEFAZ produced (the request was processed: the sequence
 * moved), which is why SEFAZ tolerates the repeat of the previous request's ultNSU;
 * `http500` and `cStat` come back without the request being processed.
 */
const faultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000) }),
  /** Destroy the socket after reading (and processing) the request. */
  z.object({ kind: z.literal('reset') }),
  z.object({ kind: z.literal('http500') }),
  /** Content-Length of the full answer, half of it sent, then the socket destroyed. */
  z.object({ kind: z.literal('truncate') }),
  /** 200 with broken XML. */
  z.object({ kind: z.literal('malformed') }),
  z.object({ kind: z.literal('cStat'), cStat: z.enum(['108', '109', '999']) }),
]);

export const faultSpecSchema = z.object({
  cnpj: z
    .string()
    .refine((c) => cnpjProblem(c) === null, { message: 'not a valid CNPJ' })
    .optional(),
  /** Without op, the fault takes the next matching call of any kind, events included. */
  op: z.enum(['distNSU', 'consNSU', 'consChNFe', 'envEvento']).optional(),
  times: z.number().int().min(1).max(1_000_000).optional(),
  fault: faultSchema,
});

export type Fault = z.infer<typeof faultSchema>;
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** Parses a fault spec from JSON or code, with a message naming the bad field. */
export function checkedFaultSpec(input: unknown): FaultSpec {
  const r = faultSpecSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SimulatorError('SIM_BAD_INPUT', `fault spec: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

/** Pending faults, first injected first used. */
export class FaultBook {
  private readonly pending: { spec: FaultSpec; left: number }[] = [];

  add(spec: FaultSpec): void {
    this.pending.push({ spec, left: spec.times ?? 1 });
  }

  /** The fault for this call, if one matches; uses up one of its times. */
  take(cnpj: string | undefined, op: SimCallOp | undefined): Fault | null {
    const i = this.pending.findIndex(
      (p) => (p.spec.cnpj === undefined || p.spec.cnpj === cnpj) && (p.spec.op === undefined || p.spec.op === op),
    );
    if (i < 0) return null;
    const entry = this.pending[i]!;
    if (--entry.left === 0) this.pending.splice(i, 1);
    return entry.spec.fault;
  }
}
