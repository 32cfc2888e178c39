/**
 * Backup-password strength with zxcvbn-ts (a maintained port of Dropbox's zxcvbn): an
 * estimate of guesses from dictionaries and patterns, not a length rule. It runs in the main
 * process, so its dictionaries (hundreds of kB) stay out of the renderer bundle.
 */
import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

let configured = false;
function configure(): void {
  if (configured) return;
  zxcvbnOptions.setOptions({
    dictionary: { ...common.dictionary, ...english.dictionary, product: ['certificatemanager', 'certificate', 'trendmicro', 'officescan', 'corp', 'server'] },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  configured = true;
}

interface PasswordStrength {
  score: number;
  warning: string | null;
  suggestions: string[];
  guessesLog10: number;
}

export function estimatePasswordStrength(password: string, userInputs: string[] = []): PasswordStrength {
  configure();
  if (!password) return { score: 0, warning: null, suggestions: [], guessesLog10: 0 };
  const result = zxcvbn(password.slice(0, 256), userInputs);
  return { score: result.score, warning: result.feedback.warning || null, suggestions: result.feedback.suggestions, guessesLog10: result.guessesLog10 };
}
