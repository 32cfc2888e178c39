/** The backup password rules the UI enforces before it calls generate or renew. Pure. */

export const MIN_PASSWORD_LENGTH = 10;
/** Without a strength estimate (main could not answer), require this length instead. */
const MIN_PASSWORD_LENGTH_UNSCORED = 14;
/** zxcvbn score needed: 3 = "safely unguessable" (~10^10 guesses). */
export const MIN_SCORE = 3;

export interface StrengthResult {
  score: number;
  warning: string | null;
  suggestions: string[];
  guessesLog10: number;
}

export type StrengthState =
  | { state: 'empty' }
  | { state: 'checking' }
  | { state: 'scored'; result: StrengthResult }
  | { state: 'unavailable' };

type PasswordProblem = 'required' | 'too-short' | 'weak' | 'mismatch' | 'checking';

interface PasswordCheck {
  ok: boolean;
  /** The first problem to show next to the fields, if any. */
  problems: PasswordProblem[];
}

export function checkNewPassword(password: string, confirm: string, strength: StrengthState): PasswordCheck {
  const problems: PasswordProblem[] = [];
  if (password.length === 0) problems.push('required');
  else if (strength.state === 'unavailable' ? password.length < MIN_PASSWORD_LENGTH_UNSCORED : password.length < MIN_PASSWORD_LENGTH) problems.push('too-short');
  else if (strength.state === 'scored' && strength.result.score < MIN_SCORE) problems.push('weak');
  else if (strength.state === 'checking' || strength.state === 'empty') problems.push('checking');
  if (password.length > 0 && confirm !== password) problems.push('mismatch');
  return { ok: problems.length === 0, problems };
}

export function minLengthFor(strength: StrengthState): number {
  return strength.state === 'unavailable' ? MIN_PASSWORD_LENGTH_UNSCORED : MIN_PASSWORD_LENGTH;
}

/**
 * Debounced, latest-wins strength estimation: typing calls `update` on every key; `estimate`
 * runs once the user pauses, and answers to older inputs are dropped.
 */
export function createStrengthChecker(options: {
  estimate: (password: string) => Promise<StrengthResult>;
  onChange: (state: StrengthState) => void;
  delayMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}) {
  const delay = options.delayMs ?? 250;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let timer: unknown = null;
  let sequence = 0;
  return {
    update(password: string) {
      sequence++;
      if (timer !== null) clearTimer(timer);
      timer = null;
      if (password.length === 0) {
        options.onChange({ state: 'empty' });
        return;
      }
      options.onChange({ state: 'checking' });
      const mine = sequence;
      timer = setTimer(() => {
        timer = null;
        options.estimate(password).then(
          (result) => {
            if (mine === sequence) options.onChange({ state: 'scored', result });
          },
          () => {
            if (mine === sequence) options.onChange({ state: 'unavailable' });
          },
        );
      }, delay);
    },
    /** Estimates right away (on submit), replacing any pending check; resolves to the new state. */
    async now(password: string): Promise<StrengthState> {
      sequence++;
      if (timer !== null) clearTimer(timer);
      timer = null;
      const mine = sequence;
      let state: StrengthState;
      if (password.length === 0) state = { state: 'empty' };
      else {
        try {
          state = { state: 'scored', result: await options.estimate(password) };
        } catch {
          state = { state: 'unavailable' };
        }
      }
      if (mine === sequence) options.onChange(state);
      return state;
    },
    dispose() {
      sequence++;
      if (timer !== null) clearTimer(timer);
      timer = null;
    },
  };
}
