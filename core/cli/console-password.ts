/**
 * A password typed at a console for "-": read in raw mode without echo, one character at a
 * time (backspace removes one character, not half an emoji; Ctrl+C cancels).
 *
 * A *new* password (-g, -c) is asked twice and the prompt says what it will protect: a typo
 * there would lock the automatic backup for good, and nothing else would notice it.
 */
import type { Readable, Writable } from 'node:stream';
import { usageError } from '../errors.js';
import { MAX_NEW_PASSWORD_LENGTH, MIN_NEW_PASSWORD_LENGTH } from '../ops/context.js';

export type ConsoleInput = Readable & { setRawMode(mode: boolean): unknown };

/** What a new password protects, in the words of the prompt. */
export const NEW_PASSWORD_PURPOSE = {
  generate: 'protects the backup of the new private key',
  renew: 'protects the backup of the renewed private key',
} as const;

/** Reads one hidden line. Listens with events, so the stream stays usable for a second prompt. */
export function promptHidden(stdin: ConsoleInput, stderr: Writable, prompt = 'Password: '): Promise<string> {
  stderr.write(prompt);
  stdin.setRawMode(true);
  // Decoded as a stream: a character typed through an IME or pasted can arrive split in two reads.
  stdin.setEncoding('utf8');
  return new Promise<string>((resolve, reject) => {
    let typed: string[] = [];
    const finish = (error: Error | null) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.join(''));
    };
    const onEnd = () => finish(null);
    const onData = (chunk: string | Buffer) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') return finish(null);
        if (char === '\u0003') return finish(usageError('CANCELLED', 'Cancelled.'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_NEW_PASSWORD_LENGTH) typed.push(char);
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/** A new password, typed twice; the two must match. */
export async function promptNewPassword(stdin: ConsoleInput, stderr: Writable, purpose: keyof typeof NEW_PASSWORD_PURPOSE): Promise<string> {
  const first = await promptHidden(stdin, stderr, `New backup password (${NEW_PASSWORD_PURPOSE[purpose]}; ${MIN_NEW_PASSWORD_LENGTH} to ${MAX_NEW_PASSWORD_LENGTH} characters): `);
  if (!first) throw usageError('EMPTY_PASSWORD', 'No password was typed. Type the password, or give it on the command line.');
  const second = await promptHidden(stdin, stderr, 'Type the same password again to confirm: ');
  if (first !== second) throw usageError('PASSWORDS_DIFFER', 'The two passwords are not the same; nothing was changed. Run the command again and type the same password twice.');
  return first;
}
