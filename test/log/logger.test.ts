import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, REDACTED } from '../../src/log/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

describe('logger', () => {
  it('writes one JSON line per event with the fields an operator greps', () => {
    const { lines, logger } = capture();
    logger.info({ cnpj: '11222333000181', op: 'distNSU', ultNSU: '000000000000050', cStat: '138' }, 'call');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', cnpj: '11222333000181', op: 'distNSU', ultNSU: '000000000000050', cStat: '138', msg: 'call' });
  });

  it('redacts passwords and keys at every depth, errors included', () => {
    const { lines, logger } = capture();
    const err = Object.assign(new Error('boom'), { password: 'hunter2' });
    logger.error({
      company: { certificate: { pfx: '/etc/a.pfx', password: 'hunter2', keyPem: '-----BEGIN PRIVATE KEY-----x' } },
      list: [{ deep: { nested: { passwordFile: 'x', secret: 's3' } } }],
      err,
    }, 'failed');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('BEGIN PRIVATE KEY');
    expect(text).not.toContain('s3');
    expect(text).toContain('/etc/a.pfx');
    expect(text).toContain(REDACTED);
    expect(text).toContain('boom');
  });
});
