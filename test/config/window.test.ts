import { describe, expect, it } from 'vitest';
import { parseWindow } from '../../src/config/window.js';

function problems(value: string | string[]): Array<{ index: number | null; message: string }> {
  const r = parseWindow(value);
  if (r.ok) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return r.problems;
}

describe('parseWindow', () => {
  it('reads 24h as the whole day', () => {
    expect(parseWindow('24h')).toEqual({ ok: true, window: { text: '24h', ranges: [{ start: 0, end: 1440 }] } });
  });

  it('reads a day range in minutes since midnight', () => {
    expect(parseWindow('05:00-19:30')).toEqual({ ok: true, window: { text: '05:00-19:30', ranges: [{ start: 300, end: 1170 }] } });
  });

  it('reads a night range crossing midnight as start > end', () => {
    expect(parseWindow('19:00-05:00')).toEqual({ ok: true, window: { text: '19:00-05:00', ranges: [{ start: 1140, end: 300 }] } });
  });

  it('reads a list of ranges, keeping the text, and accepts touching ranges and spaces around the dash', () => {
    expect(parseWindow(['06:00-12:00', '12:00 - 13:00', '22:00-02:00'])).toEqual({
      ok: true,
      window: {
        text: '06:00-12:00, 12:00 - 13:00, 22:00-02:00',
        ranges: [{ start: 360, end: 720 }, { start: 720, end: 780 }, { start: 1320, end: 120 }],
      },
    });
  });

  it.each(['5:00-19:00', '05:00-24:00', '05:60-19:00', '05:00', '05:00-19:00-20:00', '24H', 'always', '', ' 05:00-19:00'])(
    'rejects the malformed %j and says what is expected',
    (bad) => {
      const [p] = problems(bad);
      expect(p).toEqual({ index: null, message: expect.stringContaining(`${JSON.stringify(bad)} is not a capture window: expected "24h" or a range "HH:MM-HH:MM"`) });
    },
  );

  it('rejects a range that starts and ends at the same time, pointing to 24h', () => {
    expect(problems('08:00-08:00')[0]!.message).toMatch(/starts and ends at the same time: write "24h"/);
  });

  it('rejects overlapping ranges, naming both and the list position of the later one', () => {
    expect(problems(['06:00-12:00', '11:00-13:00'])).toEqual([
      { index: 1, message: '"11:00-13:00" overlaps "06:00-12:00" (both include 11:00): merge them into one range' },
    ]);
  });

  it('finds overlaps across midnight and with a long range that is not the previous one', () => {
    expect(problems(['22:00-06:00', '05:00-07:00'])).toEqual([
      { index: 1, message: expect.stringContaining('"05:00-07:00" overlaps "22:00-06:00"') },
    ]);
    expect(problems(['00:00-20:00', '01:00-02:00', '03:00-04:00']).map((p) => p.index)).toEqual([1, 2]);
    expect(problems(['24h', '03:00-04:00']).map((p) => p.message)).toEqual([expect.stringContaining('overlaps "24h"')]);
  });

  it('reports every bad item of a list with its index', () => {
    expect(problems(['bad', '06:00-07:00', '9-10']).map((p) => p.index)).toEqual([0, 2]);
  });
});
