import { randomUUID } from 'node:crypto';
import { cellsSince, decideWinner, variantStats, variantStatsFromCells } from '../../src/domain/abTesting';
import { chooseVariant, placeholdersOf, renderTemplate, templateProblems } from '../../src/domain/templates';

describe('renderTemplate', () => {
  it('fills placeholders from the seed example', () => {
    expect(renderTemplate('【幸福氣】您的瓦斯正在配送中，司機 {driver_name} 預計 {eta} 分鐘後到達', { driver_name: '王大明', eta: 30 })).toEqual({
      ok: true,
      text: '【幸福氣】您的瓦斯正在配送中，司機 王大明 預計 30 分鐘後到達',
    });
  });

  it('names every missing or empty value and ignores extra keys', () => {
    expect(renderTemplate('{a}{b}{c}', { a: 'x', b: ' ', extra: 'y' })).toEqual({ ok: false, missing: ['b', 'c'] });
  });

  it('inserts values as text: placeholder syntax inside a value stays literal', () => {
    expect(renderTemplate('Hi {name}, {code}', { name: '{code}', code: '42' })).toEqual({ ok: true, text: 'Hi {code}, 42' });
  });
});

describe('template syntax', () => {
  it.each(['{', '}', '{}', '{1abc}', '{a b}', 'x {name'])('flags %j', (content) => expect(templateProblems(content)).not.toEqual([]));
  it('accepts well-formed placeholders and lists them once', () => {
    expect(templateProblems('{a}{b_2}{a}')).toEqual([]);
    expect(placeholdersOf('{a}{b_2}{a}')).toEqual(['a', 'b_2']);
  });
});

describe('chooseVariant', () => {
  const variants = [
    { id: 'A', content: 'a', weight: 70 },
    { id: 'B', content: 'b', weight: 30 },
  ];

  it('gives one message id the same variant every time', () => {
    for (let i = 0; i < 100; i++) {
      const id = randomUUID();
      expect(chooseVariant(variants, id).id).toBe(chooseVariant(variants, id).id);
    }
  });

  it('follows the weights over many messages (5 000 picks, within 3 percentage points)', () => {
    const n = 5_000;
    let a = 0;
    for (let i = 0; i < n; i++) if (chooseVariant(variants, randomUUID()).id === 'A') a++;
    expect(Math.abs(a / n - 0.7)).toBeLessThan(0.03);
  });

  it('never picks a variant whose weight dropped to zero', () => {
    const decided = [
      { id: 'A', content: 'a', weight: 100 },
      { id: 'B', content: 'b', weight: 0 },
    ];
    for (let i = 0; i < 500; i++) expect(chooseVariant(decided, randomUUID()).id).toBe('A');
  });
});

describe('A/B figures and winner', () => {
  const outcomes = [
    ...Array(4).fill({ variant: 'A', status: 'delivered', segments: 1, cost: 0.7 }),
    { variant: 'A', status: 'sent', segments: 1, cost: 0.7 },
    ...Array(2).fill({ variant: 'B', status: 'delivered', segments: 2, cost: 1.4 }),
    ...Array(2).fill({ variant: 'B', status: 'undelivered', segments: 2, cost: 1.4 }),
    { variant: 'B', status: 'failed', segments: 2 },
  ];

  it('counts sends, outcomes, rates, segments and cost per variant', () => {
    expect(variantStats(outcomes)).toEqual([
      {
        variant: 'A',
        sent: 5,
        delivered: 4,
        undelivered: 0,
        expired: 0,
        failed: 0,
        pending: 0,
        cancelled: 0,
        delivery_rate: 1,
        avg_segments: 1,
        total_cost: 3.5,
        avg_cost: 0.7,
      },
      {
        variant: 'B',
        sent: 4,
        delivered: 2,
        undelivered: 2,
        expired: 0,
        failed: 1,
        pending: 0,
        cancelled: 0,
        delivery_rate: 0.5,
        avg_segments: 2,
        total_cost: 5.6,
        avg_cost: 1.4,
      },
    ]);
  });

  it('declares a winner only with enough decided sends and a large enough lead', () => {
    const stats = variantStats(outcomes);
    expect(decideWinner(stats, ['A', 'B'], { min_sends_per_variant: 4, min_delivery_rate_lead: 0.3 })).toBe('A');
    expect(decideWinner(stats, ['A', 'B'], { min_sends_per_variant: 5, min_delivery_rate_lead: 0.3 })).toBeUndefined();
    expect(decideWinner(stats, ['A', 'B'], { min_sends_per_variant: 4, min_delivery_rate_lead: 0.6 })).toBeUndefined();
    expect(decideWinner(stats, ['A', 'B', 'C'], { min_sends_per_variant: 1, min_delivery_rate_lead: 0 })).toBeUndefined();
  });

  it('judges a new round on what was sent since the texts changed, not on the old figures', () => {
    const before = { A: { n: { delivered: 4 }, seg: 4, cost: 2.8 }, B: { n: { undelivered: 4 }, seg: 4, cost: 2.8 } };
    const now = { A: { n: { delivered: 5 }, seg: 5, cost: 3.5 }, B: { n: { undelivered: 4, delivered: 1 }, seg: 5, cost: 3.5 } };
    const rule = { min_sends_per_variant: 1, min_delivery_rate_lead: 0.3 };
    expect(decideWinner(variantStatsFromCells(now), ['A', 'B'], rule)).toBe('A');
    const round = variantStatsFromCells(cellsSince(now, before));
    expect(round.map((v) => [v.variant, v.delivered, v.undelivered, v.total_cost])).toEqual([
      ['A', 1, 0, 0.7],
      ['B', 1, 0, 0.7],
    ]);
    expect(decideWinner(round, ['A', 'B'], rule)).toBeUndefined();
    // A template never changed has no baseline: everything counts.
    expect(cellsSince(now)).toEqual(Object.fromEntries(Object.entries(now).map(([k, c]) => [k, expect.objectContaining({ n: c.n, seg: c.seg })])));
  });
});

describe('placeholders resolve own data only', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])('treats {%s} as missing data, not inherited code', (name) => {
    expect(renderTemplate(`Hi {${name}}`, {})).toEqual({ ok: false, missing: [name] });
  });

  it('uses a value given under such a name', () => {
    expect(renderTemplate('Hi {constructor}', { constructor: 'Ann' })).toEqual({ ok: true, text: 'Hi Ann' });
  });
});
