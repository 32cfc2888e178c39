// Issue 16 point 1: every documented command line, and arbitrary ones, must get past Electron's
// Windows command-line check (re-implemented from its source in electron-command-line.ts) once
// the console launcher has put its "--" in front, and reach runCli unchanged.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HELP } from '../../core/cli/help.js';
import { ARGS_SEPARATOR, isCliInvocation, isHostSwitch, unsafeSwitchIn, userArgsFrom } from '../../electron/main/cli-args.js';
import { checkCommandLineArguments, chromiumArgv, electronAcceptsOnWindows, isUrlArg, splitExample } from './electron-command-line.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EXE = 'C:\\Program Files\\CertificateManager\\CertificateManager.exe';

/** The placeholders of the docs, filled with the values that trip Electron's check. */
const FILL: Array<[RegExp, string]> = [
  [/<url>/g, 'https://host:8443'],
  [/<(?:backup )?password>|<new password>/g, 'Pass:w0rd'],
  [/<folder>/g, 'C:\\agent'],
  [/<minutes>/g, '60'],
  [/<cer>|<agent\.cer>/g, 'C:\\agent.cer'],
  [/<[^>]*\.(?:zip|csv)>|<backup>/g, 'C:\\backup\\a.zip'],
  [/\bH\b/g, '127.0.0.1'],
  [/\bN\b/g, '8443'],
];

/** Every `certificatemanager …` line of README.md, docs/*.md and --help, placeholders filled. */
function documentedExamples(): string[][] {
  const texts = [HELP, readFileSync(join(ROOT, 'README.md'), 'utf8')];
  for (const f of readdirSync(join(ROOT, 'docs'))) if (f.endsWith('.md')) texts.push(readFileSync(join(ROOT, 'docs', f), 'utf8'));
  const examples: string[][] = [];
  for (const text of texts) {
    for (const m of text.matchAll(/certificatemanager(?:\.exe|\.com)?((?: [^\s`|<>][^\s`]*| <[^>\n]+>| "[^"\n]*"| \[[^\]\n]+\])+)/g)) {
      let line = m[1]!;
      if (/…|\.\.\./.test(line)) continue; // elided examples
      for (const [re, value] of FILL) line = line.replace(re, value);
      line = line.replace(/[[\]]/g, ''); // optional parts: include them
      const words = splitExample(line).filter((w) => !/^\(|^-{2,}$/.test(w) || w === '--');
      // A table's description column ("the launcher (console subsystem)") is not a command.
      // Examples of what is refused on purpose (docs/installer.md checklist) are not runbook lines.
      if (unsafeSwitchIn(words)) continue;
      if (words.length > 0 && words[0] !== '-' && (words[0]!.startsWith('-') || /^[a-z-]+$/.test(words[0]!))) examples.push(words);
    }
  }
  return examples;
}

describe('Electron’s Windows command-line check, re-implemented from its source', () => {
  it('matches the source’s own cases (drive letters, blanks, the exploit of the CVE)', () => {
    expect(isUrlArg('https://host:8443')).toBe(true);
    expect(isUrlArg('Pass:w0rd')).toBe(true);
    expect(isUrlArg('C:\\agent')).toBe(false); // one letter: a drive
    expect(isUrlArg('a b:c')).toBe(false); // a blank before the colon
    expect(isUrlArg('1x:y')).toBe(false);
    expect(isUrlArg('--server=https://h')).toBe(false);
    // 'exodus://aaaaaaaaa" --gpu-launcher="cmd" --aaaaa=' (the blog post's sample) is refused.
    expect(checkCommandLineArguments([EXE, 'exodus://aaaaaaaaa', 'x'])).toBe(false);
    expect(checkCommandLineArguments([EXE, 'exodus://a', '--', 'x'])).toBe(true);
    // Chromium moves switches in front of the arguments and keeps "--" as an argument.
    expect(chromiumArgv([EXE, 'agent', '--Server', 'https://h:1', '--state', 'C:\\a'])).toEqual([EXE, '--server', '--state', 'agent', 'https://h:1', 'C:\\a']);
    expect(chromiumArgv([EXE, '--', '-b', 'x'])).toEqual([EXE, '--', '-b', 'x']);
  });

  it('refuses the issue’s examples when they are passed without "--" (today’s failure)', () => {
    expect(electronAcceptsOnWindows([EXE, 'agent', '--server', 'https://host:8443', '--state', 'C:\\agent'])).toBe(false);
    for (const flag of ['-b', '-r', '-re', 'verify-backup'])
      expect(electronAcceptsOnWindows([EXE, flag, 'Pass:w0rd', 'C:\\a.zip']), flag).toBe(false);
  });
});

describe('through the launcher ("--" first), every documented example reaches runCli unchanged', () => {
  const examples = documentedExamples();

  it('finds the documented examples (README, docs, --help)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(20);
    expect(examples).toContainEqual(['agent', '--server', 'https://host:8443', '--state', 'C:\\agent', '--trust', 'C:\\agent.cer']);
    expect(examples).toContainEqual(['-b', 'trendmicro', 'C:\\user\\test\\Desktop\\a.zip']);
    // Without the launcher's "--" several of them would die with -1 and no output.
    expect(examples.filter((args) => !electronAcceptsOnWindows([EXE, ...args])).length).toBeGreaterThan(3);
  });

  it.each(documentedExamples().map((args) => [args.join(' '), args] as const))('%s', (_line, args) => {
    const argv = [EXE, ARGS_SEPARATOR, ...args];
    expect(electronAcceptsOnWindows(argv)).toBe(true);
    expect(userArgsFrom(argv, false)).toEqual(args);
    expect(isCliInvocation(userArgsFrom(argv, false))).toBe(isCliInvocation(args));
  });

  it('arbitrary argument lists: never refused, and the user’s arguments arrive as typed', () => {
    const word = fc.oneof(
      fc.string(),
      fc.constantFrom('--', '-b', '-r', 'verify-backup', 'agent', '--server', 'https://host:8443', 'Pass:w0rd', 'C:\\a.zip', ' x:y', 'ab:', '/?'),
      fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9+.-]{1,8}$/), fc.string()).map(([s, rest]) => `${s}:${rest}`),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), (args) => {
        const argv = [EXE, ARGS_SEPARATOR, ...args];
        expect(electronAcceptsOnWindows(argv)).toBe(true);
        expect(userArgsFrom(argv, false)).toEqual(args.filter((a) => !isHostSwitch(a)));
      }),
      { numRuns: 500 },
    );
  });
});
