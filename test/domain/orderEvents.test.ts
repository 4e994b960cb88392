import { NEW_ORDER, apply, decide, isSettled, stepName, type OrderEventName, type OrderProgress } from '../../src/domain/orderEvents';

/** The order after `events` (name, minute), each applied only if decide() says so, with the decisions made. */
function run(events: [OrderEventName, number][]): { progress: OrderProgress; decisions: string[] } {
  let progress = NEW_ORDER;
  const decisions: string[] = [];
  for (const [event, minute] of events) {
    const d = decide(progress, event, minute * 60_000);
    decisions.push(d.apply ? 'applied' : d.reason);
    if (d.apply) progress = apply(progress, event, minute * 60_000);
  }
  return { progress, decisions };
}

describe('order event rules', () => {
  it('applies delivery steps in order', () => {
    const { progress, decisions } = run([
      ['confirmed', 0],
      ['driver_departed', 10],
      ['arrived', 30],
      ['completed', 35],
    ]);
    expect(decisions).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(stepName(progress)).toBe('completed');
    expect(isSettled(progress)).toBe(true);
  });

  it('ignores a step a later one overtook, a step older than the latest applied, and repeats', () => {
    expect(
      run([
        ['arrived', 30],
        ['driver_departed', 10],
        ['confirmed', 0],
        ['completed', 20],
        ['arrived', 31],
      ]).decisions,
    ).toEqual(['applied', 'superseded', 'superseded', 'stale', 'duplicate']);
  });

  it('keeps an order owing a payment open until paid; a reminder after payment is ignored', () => {
    const owing = run([
      ['completed', 0],
      ['payment_due', 1],
    ]).progress;
    expect(isSettled(owing)).toBe(false);
    const paid = run([
      ['completed', 0],
      ['payment_due', 1],
      ['paid', 2],
      ['payment_due', 3],
    ]);
    expect(paid.decisions).toEqual(['applied', 'applied', 'applied', 'already_paid']);
    expect(isSettled(paid.progress)).toBe(true);
  });

  it('applies a cancellation whenever it comes and nothing after it', () => {
    const { progress, decisions } = run([
      ['driver_departed', 10],
      ['cancelled', 5],
      ['arrived', 30],
      ['paid', 31],
    ]);
    expect(decisions).toEqual(['applied', 'applied', 'order_cancelled', 'order_cancelled']);
    expect(isSettled(progress)).toBe(true);
  });
});
