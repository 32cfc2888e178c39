/**
 * The first-run wizard as a small state machine, kept apart from the Svelte view so its rules
 * are tested without a DOM.
 *
 *   welcome → method ─ generate → password → generating → done
 *                    └ import   → file → review (→ importing, same page) → done
 *
 * Long work (generating, importing) cannot be left with Back; a failure returns to the page
 * where the input can be corrected.
 */
export type Method = 'generate' | 'import';
export type StepId = 'welcome' | 'method' | 'password' | 'generating' | 'file' | 'review' | 'done';

export interface WizardState {
  step: StepId;
  method: Method | null;
  /** True while long work runs; Back and Next are disabled. */
  busy: boolean;
}

export type WizardEvent =
  | { type: 'choose'; method: Method }
  | { type: 'next' }
  | { type: 'back' }
  /** Work started from the current page (generate from password, inspect from file, import from review). */
  | { type: 'start' }
  | { type: 'succeeded' }
  | { type: 'failed' }
  | { type: 'restart' };

export const initialWizardState: WizardState = { step: 'welcome', method: null, busy: false };

export function stepsFor(method: Method | null): StepId[] {
  return method === 'import'
    ? ['welcome', 'method', 'file', 'review', 'done']
    : ['welcome', 'method', 'password', 'generating', 'done'];
}

export function stepIndex(state: WizardState): number {
  return stepsFor(state.method).indexOf(state.step);
}

export function canGoBack(state: WizardState): boolean {
  return !state.busy && (state.step === 'method' || state.step === 'password' || state.step === 'file' || state.step === 'review');
}

/** Plain navigation: pages whose Next needs no work (the view starts work on the others). */
function canGoNextDirectly(state: WizardState): boolean {
  if (state.busy) return false;
  if (state.step === 'welcome') return true;
  if (state.step === 'method') return state.method !== null;
  return false;
}

export function wizardTransition(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case 'restart':
      return initialWizardState;
    case 'choose':
      return state.step === 'method' && !state.busy ? { ...state, method: event.method } : state;
    case 'back': {
      if (!canGoBack(state)) return state;
      const back: Partial<Record<StepId, StepId>> = { method: 'welcome', password: 'method', file: 'method', review: 'file' };
      return { ...state, step: back[state.step] ?? state.step };
    }
    case 'next':
      if (!canGoNextDirectly(state)) return state;
      if (state.step === 'welcome') return { ...state, step: 'method' };
      return { ...state, step: state.method === 'import' ? 'file' : 'password' };
    case 'start':
      if (state.busy) return state;
      if (state.step === 'password') return { ...state, step: 'generating', busy: true };
      if (state.step === 'file' || state.step === 'review') return { ...state, busy: true };
      return state;
    case 'succeeded':
      if (!state.busy) return state;
      if (state.step === 'generating') return { ...state, step: 'done', busy: false };
      if (state.step === 'file') return { ...state, step: 'review', busy: false };
      if (state.step === 'review') return { ...state, step: 'done', busy: false };
      return { ...state, busy: false };
    case 'failed':
      if (!state.busy) return state;
      if (state.step === 'generating') return { ...state, step: 'password', busy: false };
      return { ...state, busy: false };
  }
}
