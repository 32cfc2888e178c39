import { describe, expect, it, vi } from 'vitest';
import { canGoBack, initialWizardState, stepIndex, stepsFor, wizardTransition, type WizardEvent, type WizardState } from '../../renderer/src/lib/wizard-machine.js';
import { checkNewPassword, createStrengthChecker, MIN_PASSWORD_LENGTH, type StrengthResult, type StrengthState } from '../../renderer/src/lib/password.js';

const run = (events: WizardEvent[], from: WizardState = initialWizardState) => events.reduce(wizardTransition, from);

describe('first-run wizard state machine', () => {
  it('walks the generate path: welcome → method → password → generating → done', () => {
    let s = run([{ type: 'next' }]);
    expect(s.step).toBe('method');
    s = run([{ type: 'next' }], s);
    expect(s.step).toBe('method'); // no method chosen yet
    s = run([{ type: 'choose', method: 'generate' }, { type: 'next' }], s);
    expect(s).toEqual({ step: 'password', method: 'generate', busy: false });
    s = run([{ type: 'start' }], s);
    expect(s).toEqual({ step: 'generating', method: 'generate', busy: true });
    expect(canGoBack(s)).toBe(false);
    expect(run([{ type: 'back' }, { type: 'next' }, { type: 'start' }], s)).toEqual(s);
    s = run([{ type: 'succeeded' }], s);
    expect(s).toEqual({ step: 'done', method: 'generate', busy: false });
    expect(canGoBack(s)).toBe(false);
    expect(stepIndex(s)).toBe(4);
  });

  it('returns to the password page when generation fails', () => {
    const s = run([{ type: 'next' }, { type: 'choose', method: 'generate' }, { type: 'next' }, { type: 'start' }, { type: 'failed' }]);
    expect(s).toEqual({ step: 'password', method: 'generate', busy: false });
  });

  it('walks the import path: file → (verify) review → (import) done', () => {
    let s = run([{ type: 'next' }, { type: 'choose', method: 'import' }, { type: 'next' }]);
    expect(s.step).toBe('file');
    expect(stepsFor(s.method)).toEqual(['welcome', 'method', 'file', 'review', 'done']);
    s = run([{ type: 'start' }], s);
    expect(s).toEqual({ step: 'file', method: 'import', busy: true });
    s = run([{ type: 'failed' }], s); // wrong password: stay to correct it
    expect(s).toEqual({ step: 'file', method: 'import', busy: false });
    s = run([{ type: 'start' }, { type: 'succeeded' }], s);
    expect(s.step).toBe('review');
    expect(canGoBack(s)).toBe(true);
    s = run([{ type: 'start' }], s);
    expect(canGoBack(s)).toBe(false);
    s = run([{ type: 'succeeded' }], s);
    expect(s).toEqual({ step: 'done', method: 'import', busy: false });
  });

  it('goes back one page at a time and keeps the chosen method', () => {
    const s = run([{ type: 'next' }, { type: 'choose', method: 'import' }, { type: 'next' }, { type: 'start' }, { type: 'succeeded' }]);
    const back1 = run([{ type: 'back' }], s);
    expect(back1.step).toBe('file');
    const back2 = run([{ type: 'back' }], back1);
    expect(back2).toEqual({ step: 'method', method: 'import', busy: false });
    expect(run([{ type: 'back' }], back2).step).toBe('welcome');
    expect(run([{ type: 'back' }], initialWizardState)).toEqual(initialWizardState);
  });

  it('changes the method only on the method page', () => {
    const s = run([{ type: 'next' }, { type: 'choose', method: 'import' }, { type: 'next' }]);
    expect(run([{ type: 'choose', method: 'generate' }], s).method).toBe('import');
    expect(run([{ type: 'back' }, { type: 'choose', method: 'generate' }, { type: 'next' }], s).step).toBe('password');
  });

  it('ignores work results when nothing runs, and can restart', () => {
    expect(run([{ type: 'succeeded' }])).toEqual(initialWizardState);
    expect(run([{ type: 'failed' }])).toEqual(initialWizardState);
    expect(run([{ type: 'start' }])).toEqual(initialWizardState);
    expect(run([{ type: 'next' }, { type: 'restart' }])).toEqual(initialWizardState);
  });

  it('shows five steps on either path', () => {
    expect(stepsFor(null)).toHaveLength(5);
    expect(stepsFor('generate')).toEqual(['welcome', 'method', 'password', 'generating', 'done']);
  });
});

const scored = (score: number): StrengthState => ({ state: 'scored', result: { score, warning: null, suggestions: [], guessesLog10: score * 3 } });

describe('new backup password rules', () => {
  it('requires a password, a minimum length, strength and a matching confirmation', () => {
    expect(checkNewPassword('', '', { state: 'empty' }).problems).toEqual(['required']);
    expect(checkNewPassword('short', 'short', scored(4)).problems).toEqual(['too-short']);
    expect(checkNewPassword('password123', 'password123', scored(0)).problems).toEqual(['weak']);
    expect(checkNewPassword('correct horse battery', 'correct horse batter', scored(4)).problems).toEqual(['mismatch']);
    expect(checkNewPassword('correct horse battery', 'correct horse battery', scored(3))).toEqual({ ok: true, problems: [] });
  });

  it('waits for a strength estimate, and asks for length when none is available', () => {
    expect(checkNewPassword('correct horse battery', 'correct horse battery', { state: 'checking' }).problems).toEqual(['checking']);
    expect(checkNewPassword('a'.repeat(MIN_PASSWORD_LENGTH), 'a'.repeat(MIN_PASSWORD_LENGTH), { state: 'unavailable' }).problems).toEqual(['too-short']);
    expect(checkNewPassword('Tr0ub4dor&3-long!', 'Tr0ub4dor&3-long!', { state: 'unavailable' }).ok).toBe(true);
  });
});

describe('debounced strength checker', () => {
  const result = (score: number): StrengthResult => ({ score, warning: null, suggestions: [], guessesLog10: score });

  it('estimates once the typing pauses, and only the latest input', async () => {
    vi.useFakeTimers();
    const estimate = vi.fn(async (p: string) => result(p.length > 10 ? 4 : 1));
    const states: StrengthState[] = [];
    const checker = createStrengthChecker({ estimate, onChange: (s) => states.push(s), delayMs: 250 });
    checker.update('a');
    checker.update('ab');
    checker.update('abcdefghijkl');
    expect(estimate).not.toHaveBeenCalled();
    expect(states.at(-1)).toEqual({ state: 'checking' });
    await vi.advanceTimersByTimeAsync(250);
    expect(estimate).toHaveBeenCalledTimes(1);
    expect(estimate).toHaveBeenCalledWith('abcdefghijkl');
    expect(states.at(-1)).toEqual({ state: 'scored', result: result(4) });
    checker.update('');
    expect(states.at(-1)).toEqual({ state: 'empty' });
    vi.useRealTimers();
  });

  it('drops an answer that arrives after newer typing', async () => {
    vi.useFakeTimers();
    const resolvers: Array<(r: StrengthResult) => void> = [];
    const estimate = vi.fn(() => new Promise<StrengthResult>((resolve) => resolvers.push(resolve)));
    const states: StrengthState[] = [];
    const checker = createStrengthChecker({ estimate, onChange: (s) => states.push(s), delayMs: 100 });
    checker.update('first-password');
    await vi.advanceTimersByTimeAsync(100);
    checker.update('second-password');
    resolvers[0]!(result(1));
    await Promise.resolve();
    expect(states.at(-1)).toEqual({ state: 'checking' });
    await vi.advanceTimersByTimeAsync(100);
    resolvers[1]!(result(4));
    await vi.waitFor(() => expect(states.at(-1)).toEqual({ state: 'scored', result: result(4) }));
    vi.useRealTimers();
  });

  it('reports "unavailable" when main cannot estimate, and can estimate at once on submit', async () => {
    const checker = createStrengthChecker({ estimate: () => Promise.reject(new Error('down')), onChange: () => {}, delayMs: 10_000 });
    expect(await checker.now('whatever-password')).toEqual({ state: 'unavailable' });
    const ok = createStrengthChecker({ estimate: async () => result(3), onChange: () => {}, delayMs: 10_000 });
    ok.update('typing');
    expect(await ok.now('typing')).toEqual({ state: 'scored', result: result(3) });
    expect(await ok.now('')).toEqual({ state: 'empty' });
    ok.dispose();
  });
});
