/**
 * Turns YAML and schema errors into lines an operator can act on: the key path, what is
 * expected, and the line of the file where it is.
 */
import { isMap, isScalar, isSeq, visit, type Document, type LineCounter, type Node } from 'yaml';
import { z } from 'zod';

type Path = readonly PropertyKey[];

interface Located {
  text: string;
  /** Where to sort the problem: the line of the key, or of its nearest existing parent. */
  sortLine: number;
}

/** `companies[2].certificate.pfx`; the root is `(top level)`. */
function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(top level)' : out;
}

/** The YAML node at `path` (the key's node when `key` is set), and whether it exists itself. */
function findNode(doc: Document, path: Path, key?: string): { node: Node | undefined; exact: boolean } {
  let node = doc.contents as Node | null;
  let found: Node | undefined = node ?? undefined;
  const segs: PropertyKey[] = key === undefined ? [...path] : [...path, key];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) return { node: found, exact: false };
      const last = i === segs.length - 1;
      node = (last && key !== undefined ? pair.key : pair.value ?? pair.key) as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = (node.items[seg] as Node | undefined) ?? null;
      if (!node) return { node: found, exact: false };
    } else {
      return { node: found, exact: false };
    }
    found = node ?? found;
  }
  return { node: found, exact: true };
}

function lineOf(lc: LineCounter, node: Node | undefined): number {
  return node?.range ? lc.linePos(node.range[0]).line : 0;
}

function locate(doc: Document, lc: LineCounter, path: Path, text: string, key?: string): Located {
  const { node, exact } = findNode(doc, path, key);
  const line = lineOf(lc, node);
  return { text: exact && line > 0 ? `${text} (line ${line})` : text, sortLine: line };
}

function unwrap(schema: unknown): unknown {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.unwrap();
    else if (s instanceof z.ZodPipe) s = s.in;
    else return s;
  }
}

/** The keys the schema knows at `path` (an object's), for "did you mean" hints. */
function knownKeysAt(schema: z.ZodType, path: Path): string[] {
  let s = unwrap(schema);
  for (const seg of path) {
    if (s instanceof z.ZodObject && typeof seg === 'string') s = unwrap(s.shape[seg]);
    else if (s instanceof z.ZodArray && typeof seg === 'number') s = unwrap(s.element);
    else return [];
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known key a typo most likely meant, if one is close enough to suggest. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  // A key cut short (timeout for timeoutSeconds) is far in edits but obvious to a reader.
  const extended = known.filter((k) => lower.length >= 3 && k.toLowerCase().startsWith(lower));
  if (extended.length === 1) return extended[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.ceil(key.length / 3)) ? best : undefined;
}

function unknownKeyText(key: string, known: readonly string[]): string {
  const close = closestKey(key, known);
  if (close) return `unknown key: did you mean "${close}"?`;
  return known.length > 0 ? `unknown key: expected one of ${known.join(', ')}` : 'unknown key';
}

/**
 * A failed union whose input had the right shape for one branch (a list of windows with a
 * bad item) is reported at that branch's deeper paths, not as "expected A or B".
 */
function flatten(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const deeper = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
  if (!deeper) return [issue];
  return deeper.flatMap((i) => flatten({ ...i, path: [...issue.path, ...i.path] }));
}

/** One line per schema problem, sorted by where it is in the file. */
export function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  doc: Document,
  lc: LineCounter,
): string[] {
  const located: Located[] = [];
  for (const issue of issues.flatMap(flatten)) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        located.push(locate(doc, lc, issue.path, `${formatPath([...issue.path, key])}: ${unknownKeyText(key, known)}`, key));
      }
    } else {
      located.push(locate(doc, lc, issue.path, `${formatPath(issue.path)}: ${issue.message}`));
    }
  }
  return located.sort((a, b) => a.sortLine - b.sortLine).map((p) => p.text);
}

function keyAt(doc: Document, offset: number): string | undefined {
  let key: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        key = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return key;
}

/** One line per YAML syntax error or warning, with its line and column. */
export function yamlProblems(doc: Document, lc: LineCounter): string[] {
  return [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = lc.linePos(e.pos[0]);
    let text = e.message;
    if (e.code === 'DUPLICATE_KEY') {
      const key = keyAt(doc, e.pos[0]);
      text = `duplicate key${key === undefined ? '' : ` "${key}"`}: each key may appear once per mapping`;
    } else if (e.code === 'MULTIPLE_DOCS') {
      text = 'the file holds several YAML documents (---): expected one';
    }
    return `line ${line}, column ${col}: ${text}`;
  });
}
