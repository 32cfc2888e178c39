// build/installer.nsh: what it must never do (touch the certificate store), and what it does
// (finish-page text, the PATH option). When makensis is installed it is compiled the way
// electron-builder compiles it (warnings are errors, installer and uninstaller builds); when Wine
// is installed too, the PATH logic runs for real against the Windows registry of a Wine prefix.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createWinePrefix, disposeWinePrefix, hasMakensis, wine, wineBinary } from './helpers.js';

const NSH = join(ROOT, 'build', 'installer.nsh');
const source = readFileSync(NSH, 'utf8');
/** The script without comments (";" or "#" outside strings is rare enough here to strip naively). */
const code = source
  .split('\n')
  .map((line) => line.replace(/^\s*[;#].*$/, ''))
  .join('\n');

const EN = '1033';
const JA = '1041';
/** LangString name -> LCID -> text. */
const langStrings = new Map<string, Map<string, string>>();
for (const m of code.matchAll(/^\s*LangString (\w+) (\d+) "([^\n]*)"\s*$/gm)) {
  if (!langStrings.has(m[1]!)) langStrings.set(m[1]!, new Map());
  langStrings.get(m[1]!)!.set(m[2]!, m[3]!);
}

describe('installer.nsh rules', () => {
  it('never deletes files or folders (the uninstaller removes only what electron-builder installed)', () => {
    // NSIS instructions start a line; "Delete"/"RMDir" there would remove files.
    expect(code).not.toMatch(/^\s*(Delete|RMDir)\b/im);
    expect(code).not.toMatch(/^\s*(\$\{[^}]+\}\s+)?(Delete|RMDir)\b/im);
  });

  it('never refers to the data directory outside of the text shown to the admin', () => {
    for (const line of code.split('\n')) {
      if (/\$COMMONAPPDATA|ProgramData/i.test(line)) expect(line, line).toMatch(/^\s*!define (CM_DATA_DIR_TEXT|MUI_FINISHPAGE_TEXT)\b|\$\{CM_DATA_DIR_TEXT\}/);
    }
  });

  it('says on both finish pages, in both languages, that the certificate store survives', () => {
    expect([...source.matchAll(/!define MUI_FINISHPAGE_TEXT "([^\n]*)"/g)].map((m) => m[1])).toEqual(['$(cmFinishText)', '$(cmUnFinishText)']);
    expect(source).toMatch(/!define CM_DATA_DIR_TEXT "%ProgramData%\\CertificateManager"/);
    const install = langStrings.get('cmFinishText')!;
    const uninstall = langStrings.get('cmUnFinishText')!;
    for (const text of [...install.values(), ...uninstall.values()]) expect(text).toContain('${CM_DATA_DIR_TEXT}');
    expect(install.get(EN)).toMatch(/never changes or deletes it/);
    expect(install.get(EN)).toMatch(/upgrade keeps your settings/);
    expect(install.get(JA)).toMatch(/変更または削除されることはありません/);
    expect(install.get(JA)).toMatch(/設定は引き継がれ/);
    expect(uninstall.get(EN)).toMatch(/was kept, untouched/);
    expect(uninstall.get(JA)).toMatch(/そのまま残しています/);
  });

  it('shows no text of its own except through a LangString that has English and Japanese', () => {
    // Every instruction that shows text takes it from $(...): a literal would be English only.
    const shown = /^\s*(MessageBox\s+\S+|DetailPrint|\$\{NSD_Create\w+\}(\s+\S+){4}|!insertmacro MUI_HEADER_TEXT|!define MUI_\w*(TITLE|TEXT))\s+("[^"]*")/gm;
    const literals = [...code.matchAll(shown)].map((m) => m[4]!).filter((t) => !/^"\$\([A-Za-z]\w*\)"$/.test(t));
    expect(literals).toEqual([]);
    const used = new Set([...code.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThanOrEqual(15);
    for (const name of used) {
      expect(langStrings.get(name)?.get(EN), `${name} in English`).toBeTruthy();
      expect(langStrings.get(name)?.get(JA), `${name} in Japanese`).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
    for (const [name, byLanguage] of langStrings) expect([...byLanguage.keys()].sort(), name).toEqual([EN, JA]);
  });

  it('removes the PATH entry only on a real uninstall, never during an upgrade', () => {
    const unInstall = /!macro customUnInstall([\s\S]*?)!macroend/.exec(source)?.[1] ?? '';
    expect(unInstall).toMatch(/\$\{IfNot\} \$\{isUpdated\}\s+Push "\$\{CM_PATH_DIR\}"\s+Call un\.cmPathRemove\s+\$\{EndIf\}/);
    expect(source).toMatch(/!define CM_PATH_DIR "\$INSTDIR\\bin"/);
  });

  it('guards against NSIS string truncation before it writes the PATH', () => {
    expect(source).toMatch(/!define \/math CM_PATH_LIMIT \$\{NSIS_MAX_STRLEN\} - 2/);
    expect((source.match(/WriteRegExpandStr HKLM "\$\{CM_ENV_KEY\}" "Path"/g) ?? []).length).toBe(2);
    expect(source).not.toMatch(/WriteRegStr HKLM "\$\{CM_ENV_KEY\}"/); // PATH stays REG_EXPAND_SZ
  });
});

/**
 * A stand-in for electron-builder's installer.nsi: the same include order (this file before
 * MUI2), the same page sequence and the same macro call sites, without electron-builder's
 * own plugins (UAC, StdUtils, nsProcess...) that are not available offline.
 */
function harness(kind: 'installer' | 'uninstaller', target: 'x86-unicode' | 'amd64-unicode', installDir: string, languages: string[] = ['English', 'Japanese']): string {
  // electron-builder's addLangs macro: one MUI_LANGUAGE per installerLanguages entry.
  const langs = languages.map((l) => `!insertmacro MUI_LANGUAGE ${l}`).join('\n');
  const head = `Unicode true
Target ${target}
${kind === 'uninstaller' ? '!define BUILD_UNINSTALLER' : ''}
!define INSTALL_REGISTRY_KEY "Software\\cm-nsis-test"
!include LogicLib.nsh
!include FileFunc.nsh
; electron-builder defines its --updated flag like this (with StdUtils instead of GetOptions)
!macro _isUpdated _a _b _t _f
  \${GetParameters} $R9
  ClearErrors
  \${GetOptions} $R9 "--updated" $R8
  IfErrors \`\${_f}\` \`\${_t}\`
!macroend
!define isUpdated \`"" isUpdated ""\`
!include "${NSH}"
!include MUI2.nsh
Name "CertificateManager"
InstallDir "${installDir}"
RequestExecutionLevel admin
`;
  if (kind === 'installer') {
    return `${head}OutFile "installer.exe"
!insertmacro customWelcomePage
!insertmacro customPageAfterChangeDir
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
${langs}
Function .onInit
  !insertmacro customInit
FunctionEnd
Section "install"
  SetOutPath "$INSTDIR\\bin"
  !insertmacro customInstall
SectionEnd
`;
  }
  return `${head}OutFile "write-uninstaller.exe"
!insertmacro MUI_UNPAGE_WELCOME
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_UNPAGE_FINISH
${langs}
Section "install"
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\\uninstall.exe"
SectionEnd
Section "un.Uninstall"
  !insertmacro customUnInstall
SectionEnd
`;
}

function makensis(dir: string, name: string, script: string): string {
  writeFileSync(join(dir, name), script);
  const r = spawnSync('makensis', ['-V2', '-WX', name], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`makensis ${name} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!hasMakensis)('installer.nsh compiled with makensis (warnings are errors)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-nsis-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles into the installer and the uninstaller, 32-bit as electron-builder builds them', () => {
    makensis(dir, 'installer.nsi', harness('installer', 'x86-unicode', '$PROGRAMFILES64\\CertificateManager'));
    makensis(dir, 'uninstaller.nsi', harness('uninstaller', 'x86-unicode', '$PROGRAMFILES64\\CertificateManager'));
    expect(existsSync(join(dir, 'installer.exe'))).toBe(true);
    expect(existsSync(join(dir, 'write-uninstaller.exe'))).toBe(true);
  });

  it('compiles with the Japanese language loaded first as well (the order electron-builder uses is not alphabetical)', () => {
    makensis(dir, 'installer-ja.nsi', harness('installer', 'x86-unicode', 'C:\\CM', ['Japanese', 'English']));
    makensis(dir, 'uninstaller-ja.nsi', harness('uninstaller', 'x86-unicode', 'C:\\CM', ['Japanese', 'English']));
  });

  it('refuses to compile when a text has no Japanese version (makensis -WX)', () => {
    const copy = join(dir, 'missing-ja.nsh');
    writeFileSync(copy, source.replace(/^\s*LangString cmCommandLineTitle 1041 .*$/m, ''));
    const script = harness('installer', 'x86-unicode', 'C:\\CM').replace(`!include "${NSH}"`, `!include "${copy}"`);
    expect(() => makensis(dir, 'missing-ja.nsi', script)).toThrow(/cmCommandLineTitle/);
  });

  it('refuses to compile the uninstaller with installer-only code (BUILD_UNINSTALLER separation)', () => {
    const broken = harness('uninstaller', 'x86-unicode', 'C:\\CM').replace('!insertmacro customUnInstall', '!insertmacro customUnInstall\n  !insertmacro customInstall');
    expect(() => makensis(dir, 'broken.nsi', broken)).toThrow(/customInstall/);
  });
});

// Retried, for the reason launcher.test.ts gives: under a full-suite load on this 2-core VM, Wine
// itself now and then fails to run a program (exit 1, no output). It happened here to `reg add`
// (a fresh-clone CI run) and to `installer.exe` (a run with three workers). Each test sets up the
// PATH it starts from, so a retry starts clean; a fault in the installer fails every attempt.
describe.skipIf(!hasMakensis || !wineBinary)('the PATH option, run under Wine', { retry: 2 }, () => {
  const ENV_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment';
  const INSTALL_DIR = 'C:\\CertificateManager'; // no space: NSIS's "_?=" must stay unquoted
  const BIN = `${INSTALL_DIR}\\bin`;
  const ORIGINAL = '%SystemRoot%\\system32;%SystemRoot%;C:\\Tools\\with space;%ProgramFiles%\\Git\\cmd';
  let dir: string;
  let prefix: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-nsis-run-'));
    makensis(dir, 'installer.nsi', harness('installer', 'amd64-unicode', INSTALL_DIR));
    makensis(dir, 'uninstaller.nsi', harness('uninstaller', 'amd64-unicode', INSTALL_DIR));
    prefix = createWinePrefix();
  }, 120_000);
  afterAll(() => {
    disposeWinePrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (...args: string[]) => {
    const r = wine(prefix, args, { cwd: dir });
    // reg.exe writes its errors to stdout.
    expect(r.status, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  };
  const setPath = (value: string) => run('reg', 'add', ENV_KEY, '/v', 'Path', '/t', 'REG_EXPAND_SZ', '/d', value, '/f');
  const readValue = (key: string, name: string) => {
    const r = wine(prefix, ['reg', 'query', key, '/v', name]);
    const m = new RegExp(`^\\s*${name}\\s+(REG_\\w+)\\s+(.*?)\\r?$`, 'm').exec(r.stdout);
    return m ? { type: m[1]!, value: m[2]! } : null;
  };
  const path = () => readValue(ENV_KEY, 'Path');
  const install = (...options: string[]) => run(join(dir, 'installer.exe'), '/S', ...options);
  const uninstall = (...options: string[]) => {
    run(join(dir, 'write-uninstaller.exe'), '/S');
    run(`${INSTALL_DIR}\\uninstall.exe`, '/S', ...options, `_?=${INSTALL_DIR}`);
  };

  it('adds $INSTDIR\\bin once, at the end, keeping the other entries and REG_EXPAND_SZ', () => {
    setPath(ORIGINAL);
    install();
    expect(path()).toEqual({ type: 'REG_EXPAND_SZ', value: `${ORIGINAL};${BIN}` });
    expect(readValue('HKLM\\Software\\cm-nsis-test', 'AddToPath')?.value).toBe('1');
    install(); // reinstall: nothing added twice
    expect(path()?.value).toBe(`${ORIGINAL};${BIN}`);
  });

  it('keeps the PATH during an upgrade and restores it exactly on uninstall', () => {
    setPath(ORIGINAL);
    install();
    uninstall('--updated');
    expect(path()?.value).toBe(`${ORIGINAL};${BIN}`);
    uninstall();
    expect(path()).toEqual({ type: 'REG_EXPAND_SZ', value: ORIGINAL });
  });

  it('honours /ADDTOPATH=0, and an upgrade keeps that choice', () => {
    setPath(`${ORIGINAL};${BIN}`);
    install('/ADDTOPATH=0');
    expect(path()?.value).toBe(ORIGINAL);
    expect(readValue('HKLM\\Software\\cm-nsis-test', 'AddToPath')?.value).toBe('0');
    install(); // upgrade without options
    expect(path()?.value).toBe(ORIGINAL);
    install('/ADDTOPATH=1');
    expect(path()?.value).toBe(`${ORIGINAL};${BIN}`);
  });

  it('finds its entry whatever the case or a trailing backslash, and removes only that', () => {
    setPath(`A;c:\\certificatemanager\\BIN\\;C:\\CertificateManager\\binaries;B;${BIN};`);
    uninstall();
    expect(path()?.value).toBe('A;C:\\CertificateManager\\binaries;B;');
    setPath('C:\\x;');
    install('/ADDTOPATH=1');
    expect(path()?.value).toBe(`C:\\x;${BIN}`);
    setPath('');
    install('/ADDTOPATH=1');
    expect(path()?.value).toBe(BIN);
    uninstall();
    expect(path()?.value ?? '').toBe('');
  });

  it('leaves a PATH it cannot read whole untouched (ReadRegStr fails on it, StrCpy would cut it)', () => {
    // Debian's makensis is the default build: NSIS_MAX_STRLEN = 1024.
    const long = Array.from({ length: 60 }, (_, i) => `C:\\Program Files\\Vendor${i}\\bin`).join(';');
    expect(long.length).toBeGreaterThan(1024);
    setPath(long);
    install('/ADDTOPATH=1');
    expect(path()?.value).toBe(long);
    setPath(`${long};${BIN}`);
    uninstall();
    expect(path()?.value).toBe(`${long};${BIN}`);
    // readable, but adding the entry would cross the limit
    let nearly = 'C:\\Windows';
    for (let i = 0; nearly.length < 1000; i++) nearly += `;C:\\Program Files\\Tool${i}`;
    expect(nearly.length + 1 + BIN.length).toBeGreaterThan(1022);
    expect(nearly.length).toBeLessThan(1022);
    setPath(nearly);
    install('/ADDTOPATH=1');
    expect(path()?.value).toBe(nearly);
  });

  it('leaves the certificate store alone on uninstall', () => {
    const store = join(prefix, 'drive_c', 'ProgramData', 'CertificateManager');
    mkdirSync(store, { recursive: true });
    writeFileSync(join(store, 'current.key'), 'key material');
    install();
    uninstall();
    expect(readFileSync(join(store, 'current.key'), 'utf8')).toBe('key material');
  });
});
