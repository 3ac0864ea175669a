import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/reference.js';

const unitPath = join(projectRoot, 'systemd', 'dfe-sync.service');
const sysusersPath = join(projectRoot, 'systemd', 'dfe-sync.sysusers');
const guidePath = join(projectRoot, 'systemd', 'README.md');

interface Directive {
  key: string;
  value: string;
  line: number;
}

interface UnitFile {
  sections: Map<string, Directive[]>;
  /** `#Key=value` lines: directives shown as examples, not in force. */
  commented: Directive[];
}

/** The subset of systemd's unit syntax our unit uses: sections, comments, continuations, repeated keys. */
function parseUnit(text: string): UnitFile {
  const sections = new Map<string, Directive[]>();
  const commented: Directive[] = [];
  let current: Directive[] | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = (lines[i] ?? '').trim();
    if (line === '') continue;
    if (line.startsWith('#') || line.startsWith(';')) {
      const example = /^[#;]([A-Z][A-Za-z]*)=(.*)$/.exec(line);
      if (example) commented.push({ key: example[1]!, value: example[2]!.trim(), line: lineNo });
      continue;
    }
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      line = `${line.slice(0, -1).trimEnd()} ${(lines[i] ?? '').trim()}`;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`line ${lineNo}: not Key=value: ${line}`);
    if (!current) throw new Error(`line ${lineNo}: directive outside a section`);
    current.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: lineNo });
  }
  return { sections, commented };
}

/** Every value given to `key` in `section`, in order (list-valued directives repeat). */
function values(unit: UnitFile, section: string, key: string): string[] {
  return (unit.sections.get(section) ?? []).filter((d) => d.key === key).map((d) => d.value);
}

/** The value in force: for single-valued directives, the last assignment wins. */
function value(unit: UnitFile, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

/** systemd time spans as our unit writes them: "90s", "15min", "2h", or bare seconds. */
function seconds(span: string): number {
  const m = /^(\d+)\s*(ms|s|sec|min|m|h)?$/.exec(span);
  if (!m) throw new Error(`not a time span: ${span}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n / 1000 : unit === 'min' || unit === 'm' ? n * 60 : unit === 'h' ? n * 3600 : n;
}

function has(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Problems `systemd-analyze verify` reports about this unit file (it exits 0 on mere warnings). */
function verifyProblems(file: string): string[] {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('dfe-sync.service'));
  return r.status === 0 ? lines : [`exit ${r.status}`, ...lines];
}

const unitText = readFileSync(unitPath, 'utf8');
const unit = parseUnit(unitText);
const guide = readFileSync(guidePath, 'utf8');

describe('the unit-file reader used by these tests', () => {
  it('reads sections, repeated keys, empty values, continuations and commented examples', () => {
    const u = parseUnit('# c\n[A]\nX=1\nX=2 \\\n  3\nEmpty=\n#Ex=a:b\n; other\n[B]\nY = y\n');
    expect(values(u, 'A', 'X')).toEqual(['1', '2 3']);
    expect(value(u, 'A', 'Empty')).toBe('');
    expect(value(u, 'B', 'Y')).toBe('y');
    expect(value(u, 'B', 'X')).toBeUndefined();
    expect(u.commented).toEqual([{ key: 'Ex', value: 'a:b', line: 7 }]);
    expect(() => parseUnit('X=1\n')).toThrow(/outside a section/);
  });
});

describe('systemd/dfe-sync.service', () => {
  it('runs the daemon with the default config path and reloads it with SIGHUP', () => {
    expect(value(unit, 'Service', 'Type')).toBe('simple');
    expect(values(unit, 'Service', 'ExecStart')).toEqual([
      '/usr/bin/env dfe-sync run --config /etc/dfe-sync/config.yaml',
    ]);
    expect(value(unit, 'Service', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(value(unit, 'Service', 'SyslogIdentifier')).toBe('dfe-sync');
    expect(value(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
  });

  it('gives SIGTERM time to commit the batch in flight and restarts on failure within a limit', () => {
    expect(value(unit, 'Service', 'KillMode')).toBe('mixed');
    expect(seconds(value(unit, 'Service', 'TimeoutStopSec') ?? '0')).toBeGreaterThanOrEqual(60);
    expect(value(unit, 'Service', 'Restart')).toBe('on-failure');
    expect(seconds(value(unit, 'Service', 'RestartSec') ?? '0')).toBeGreaterThan(0);
    // StartLimit* only take effect in [Unit]; in [Service] systemd ignores them.
    expect(values(unit, 'Service', 'StartLimitIntervalSec')).toEqual([]);
    expect(seconds(value(unit, 'Unit', 'StartLimitIntervalSec') ?? '0')).toBeGreaterThan(0);
    expect(Number(value(unit, 'Unit', 'StartLimitBurst'))).toBeGreaterThan(1);
  });

  it('waits for the network and the clock', () => {
    expect(values(unit, 'Unit', 'After').join(' ').split(/\s+/)).toEqual(
      expect.arrayContaining(['network-online.target', 'time-sync.target']),
    );
    expect(value(unit, 'Unit', 'Wants')).toBe('network-online.target');
  });

  it('runs as the static user the sysusers file creates, with private state and config directories', () => {
    const sysusers = readFileSync(sysusersPath, 'utf8')
      .split('\n')
      .filter((l) => /^u\s/.test(l));
    expect(sysusers).toHaveLength(1);
    const [, name, , , home] = sysusers[0]!.match(/^u\s+(\S+)\s+(\S+)\s+("[^"]*")\s+(\S+)/) ?? [];
    expect(value(unit, 'Service', 'User')).toBe(name);
    expect(value(unit, 'Service', 'Group')).toBe(name);
    expect(value(unit, 'Service', 'DynamicUser') ?? 'no').toBe('no');
    expect(value(unit, 'Service', 'StateDirectory')).toBe('dfe-sync');
    expect(value(unit, 'Service', 'StateDirectoryMode')).toBe('0750');
    expect(home).toBe('/var/lib/dfe-sync');
    expect(value(unit, 'Service', 'ConfigurationDirectory')).toBe('dfe-sync');
    expect(value(unit, 'Service', 'UMask')).toBe('0077');
    expect(Number(value(unit, 'Service', 'LimitNOFILE'))).toBeGreaterThanOrEqual(20_000);
  });

  it('has the sandbox systemd-analyze security scores', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      PrivateUsers: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectKernelLogs: 'yes',
      ProtectControlGroups: 'yes',
      ProtectClock: 'yes',
      ProtectHostname: 'yes',
      ProtectProc: 'invisible',
      ProcSubset: 'pid',
      RestrictNamespaces: 'yes',
      RestrictRealtime: 'yes',
      RestrictSUIDSGID: 'yes',
      RemoveIPC: 'yes',
      LockPersonality: 'yes',
      SystemCallArchitectures: 'native',
      SystemCallErrorNumber: 'EPERM',
    };
    const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, value(unit, 'Service', k)]));
    expect(actual).toEqual(expected);
  });

  it('allows only IPv4, IPv6 and local sockets', () => {
    const families = values(unit, 'Service', 'RestrictAddressFamilies').join(' ').split(/\s+/);
    expect(families.sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
  });

  it('filters system calls to @system-service without @privileged and @resources', () => {
    const filters = values(unit, 'Service', 'SystemCallFilter');
    const allow = filters.filter((f) => !f.startsWith('~')).flatMap((f) => f.split(/\s+/));
    const deny = filters.filter((f) => f.startsWith('~')).flatMap((f) => f.slice(1).split(/\s+/));
    expect(allow).toEqual(['@system-service']);
    expect(deny.sort()).toEqual(['@privileged', '@resources']);
  });

  it('leaves MemoryDenyWriteExecute off, saying why (V8 JIT)', () => {
    expect(value(unit, 'Service', 'MemoryDenyWriteExecute')).toBe('no');
    const d = (unit.sections.get('Service') ?? []).find((x) => x.key === 'MemoryDenyWriteExecute')!;
    const commentAbove = unitText.split('\n').slice(d.line - 4, d.line - 1).join('\n');
    expect(commentAbove).toMatch(/JIT/);
  });

  it('shows LoadCredential examples but loads none by default (a missing file would stop the start)', () => {
    expect(values(unit, 'Service', 'LoadCredential')).toEqual([]);
    expect(values(unit, 'Service', 'LoadCredentialEncrypted')).toEqual([]);
    const examples = unit.commented.filter((d) => d.key.startsWith('LoadCredential'));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const e of examples) expect(e.value).toMatch(/^[A-Za-z0-9._-]+:\/etc\/dfe-sync\/\S+$/);
  });
});

describe('systemd/README.md, the install guide', () => {
  const user = value(unit, 'Service', 'User')!;
  const config = /--config (\S+)/.exec(value(unit, 'Service', 'ExecStart') ?? '')?.[1];

  it("runs status as the service's user against the service's config", () => {
    expect(config).toBeDefined();
    expect(guide).toContain(`sudo -u ${user} dfe-sync status --config ${config}`);
  });

  it('names each passwordCredential as a LoadCredential line it shows delivers it', () => {
    const names = [...guide.matchAll(/passwordCredential:\s*"?([A-Za-z0-9._-]+)/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    const ids = [...`${guide}\n${unitText}`.matchAll(/LoadCredential(?:Encrypted)?=([A-Za-z0-9._-]+):(\S+)/g)].map(
      (m) => ({ id: m[1]!, path: m[2]! }),
    );
    for (const name of names) {
      // A file credential keeps its ID; a directory's files become ID_FILENAME.
      const delivered = ids.some((c) => c.id === name || name.startsWith(`${c.id}_`));
      expect(delivered, `passwordCredential ${name}`).toBe(true);
    }
  });

  it('keeps stateDir on the StateDirectory= path, the only writable one under ProtectSystem=strict', () => {
    const stateDirs = [...guide.matchAll(/^\s*stateDir:\s*(\S+)/gm)].map((m) => m[1]);
    expect(stateDirs.length).toBeGreaterThan(0);
    expect(new Set(stateDirs)).toEqual(new Set([`/var/lib/${value(unit, 'Service', 'StateDirectory')}`]));
  });
});

describe.skipIf(!has('systemd-analyze'))('systemd-analyze (skipped where systemd-analyze is absent)', () => {
  it('verify accepts the unit with no warning', () => {
    expect(verifyProblems(unitPath)).toEqual([]);
  });

  it('verify catches a misspelt directive, so the check above can fail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-unit-'));
    try {
      const broken = join(dir, 'dfe-sync.service');
      writeFileSync(broken, unitText.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'));
      expect(verifyProblems(broken).join('\n')).toMatch(/NoNewPrivilege/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!has('systemd-sysusers'))('systemd-sysusers (skipped where systemd-sysusers is absent)', () => {
  it('creates the unit\'s user and group, without a login shell, in a scratch root', () => {
    const root = mkdtempSync(join(tmpdir(), 'dfe-sync-sysusers-'));
    try {
      mkdirSync(join(root, 'etc'));
      const r = spawnSync('systemd-sysusers', [`--root=${root}`, sysusersPath], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const user = value(unit, 'Service', 'User')!;
      const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8').split('\n');
      const entry = passwd.find((l) => l.startsWith(`${user}:`))?.split(':');
      expect(entry?.[5]).toBe('/var/lib/dfe-sync');
      expect(entry?.[6]).toMatch(/nologin$/);
      expect(readFileSync(join(root, 'etc', 'group'), 'utf8')).toMatch(new RegExp(`^${user}:`, 'm'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
