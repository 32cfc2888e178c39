import { COMMANDS } from './commands.js';
import { DEFAULT_KEY_SIZE, KEY_SIZES, NEW_PASSWORD_LENGTH, VALIDITY_DAYS } from '../limits.js';

const keySizes = KEY_SIZES.map((k) => (k === DEFAULT_KEY_SIZE ? `${k} (default)` : String(k)));

/** The --help text: every command (its lines from commands.ts), examples, the exit codes scripts can rely on. Limits come from core/limits.ts. */
export const HELP = `certificatemanager - manage the server authentication certificate

Usage:
${COMMANDS.map((c) => c.help).join('\n')}

Options (anywhere on the line):
  --data-dir <folder>   The certificate store (default: %ProgramData%\\CertificateManager on
                        Windows; env CERTIFICATEMANAGER_DATA_DIR)
  --json                Print the result as JSON on standard output
  --key-size <bits>     ${keySizes.slice(0, -1).join(', ')} or ${keySizes.at(-1)}, with -g and -c
  --days <n>            Validity in days, ${VALIDITY_DAYS.min} to ${VALIDITY_DAYS.max} (default ${VALIDITY_DAYS.default}, three years), with -g and -c
  --subject <name>      Common name for -g (default: this computer's host name)
  -h, --help            This text
  --version             The version

Passwords for new backups (-g, -c, -b) are ${NEW_PASSWORD_LENGTH.min} to ${NEW_PASSWORD_LENGTH.max} characters long, counted as
characters (パスワード is 5). A password of "-" is read from standard input, so it stays out
of process lists and logs; at a console it is asked for without echo, and a new one (-g, -c)
is asked twice.

-re ("not exportable") means: this tool will not write the private key out again (-b and the
app's Backup refuse). It is not a hardware or OS guarantee: an administrator of this machine
can still read the key file. At rest the key is protected by administrators-only permissions
(mode 0600 under a 0700 folder on Linux, readable by root and the folder's owner); on Windows it
is also encrypted with DPAPI in machine scope (readable only by programs on this machine).
Keep the backup you restored from: it is the only way to move this key to another server.

The data folder is marked by a CERTIFICATEMANAGER-STORE file. An existing folder is used only
when it is empty, has that file, or is a store made by an earlier version.

What -r keeps: the certificate, its key and the CA chain that came with it (a .pfx exported with
its certification path); every later -b writes the chain too. Before a restore, -g or -c
installs a certificate, a backup of it is built and read back in memory; a certificate that
could not be backed up and restored is refused (exit 4) and nothing changes.
-r also refuses (exit 4) a certificate this store replaced, or a key it retired even in a new
certificate (compared by public key), and a file asking for more password-hashing work than any
real export (the message names which part and how many iterations).

Examples:
  certificatemanager -g - < password.txt
  certificatemanager -b trendmicro C:\\user\\test\\Desktop\\a.zip
  certificatemanager -r trendmicro C:\\user\\test\\Desktop\\a.zip
  certificatemanager -c NewPassw0rd-2026
  certificatemanager status --json
  certificatemanager audit --verify
  certificatemanager audit --verify --head \\\\mirror\\feed\\index.jws
  echo %PASSWORD%| certificatemanager verify-backup - D:\\backups\\a.zip
      (no space before "|": cmd.exe would send it as part of the password)

Exit codes:
  0  done
  1  anything else (disk full, read-only media, access denied, a damaged store,
     unexpected error)
  2  usage: the command line is wrong (or --data-dir is not a usable folder)
  3  wrong password
  4  input file unreadable, damaged (or an audit log that does not verify) (also a damaged certificate in its chain), hostile or
     unusable; a path that does not exist or is not a file/folder as needed
  5  wrong state: no certificate yet, one exists already, key not exportable,
     or the store is locked by another certificatemanager
`;
