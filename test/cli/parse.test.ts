import { describe, expect, it } from 'vitest';
import { parseArguments } from '../../core/cli/parse.js';
import { CertManagerError } from '../../core/errors.js';

const usage = (argv: string[]) => {
  try {
    parseArguments(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CertManagerError);
    return (e as CertManagerError).kind;
  }
  return 'parsed';
};

describe('the original flags, exactly', () => {
  it('-b <password> <zip>', () => {
    expect(parseArguments(['-b', 'trendmicro', 'C:\\user\\test\\Desktop\\a.zip']).command).toEqual({ name: 'backup', password: 'trendmicro', outPath: 'C:\\user\\test\\Desktop\\a.zip' });
  });
  it('-r and -re differ only in exportability', () => {
    expect(parseArguments(['-r', 'pw', 'a.zip']).command).toMatchObject({ name: 'restore', exportable: true });
    expect(parseArguments(['-re', 'pw', 'a.zip']).command).toMatchObject({ name: 'restore', exportable: false });
  });
  it('-c <new password>', () => {
    expect(parseArguments(['-c', 'trendmicro']).command).toEqual({ name: 'renew', password: 'trendmicro', keySize: undefined, validityDays: undefined });
  });
  it('the certificateManager.exe spelling of the flags is case-insensitive', () => {
    expect(parseArguments(['-B', 'pw', 'a.zip']).command.name).toBe('backup');
  });
  it('--data-dir anywhere on the line, in both spellings', () => {
    expect(parseArguments(['-b', 'pw', '--data-dir', '/x', 'a.zip']).dataDir).toBe('/x');
    expect(parseArguments(['--data-dir=/y', 'status']).dataDir).toBe('/y');
    expect(parseArguments(['status', '--json']).json).toBe(true);
  });
  it('a password that looks like a flag value is still positional', () => {
    expect(parseArguments(['-b', '-', 'a.zip']).command).toMatchObject({ password: '-' });
  });
});

describe('usage errors', () => {
  it.each([[['-b', 'pw']], [['-b']], [['-r', 'pw']], [['-c']], [['-c', 'a', 'b']], [['-x']], [['--nope']], [['status', 'extra']], [['--data-dir']], [['-g', 'pw', '--key-size', '1024']], [['-g', 'pw', '--days', 'ten']]])('%j is a usage error', (argv) => {
    expect(usage(argv)).toBe('usage');
  });
  it('no arguments and --help show help', () => {
    expect(parseArguments([]).command.name).toBe('help');
    expect(parseArguments(['--help']).command.name).toBe('help');
    expect(parseArguments(['/?']).command.name).toBe('help');
  });
});

describe('the command table (core/cli/commands.ts)', () => {
  it('every command is known to the parser and shown in --help; a password-taking one never echoes an option-like password', async () => {
    const { COMMANDS } = await import('../../core/cli/commands.js');
    const { HELP } = await import('../../core/cli/help.js');
    const usageSection = HELP.slice(HELP.indexOf('Usage:'), HELP.indexOf('Options (anywhere on the line):'));
    for (const command of COMMANDS) {
      expect(usageSection, command.verb).toContain(`certificatemanager ${command.verb} `);
      // Too few words is a usage error naming the command, never "unknown command".
      let code = 'parsed';
      try {
        parseArguments([command.verb.toUpperCase()]);
      } catch (e) {
        code = (e as CertManagerError).code;
      }
      expect(code, command.verb).not.toBe('UNKNOWN_COMMAND');
      if (command.takesPassword) expect(() => parseArguments([command.verb, '--json-looking-password'])).not.toThrow(/json-looking/);
    }
  });
});
