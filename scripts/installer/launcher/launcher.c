/*
 * certificatemanager console launcher (see docs/console-entry-point.md).
 *
 * CertificateManager.exe is an Electron app: a GUI-subsystem program. cmd.exe does not wait for
 * GUI programs and does not report their exit code. This tiny console-subsystem program does:
 * it starts CertificateManager.exe with "--" and then exactly the arguments it was given (the raw
 * command-line tail, never re-parsed or re-quoted), hands it this console's stdin/stdout/stderr, waits for it
 * and exits with its exit code.
 *
 * Deliberately small: no C runtime (-nostdlib), only KERNEL32 imports, no environment or PATH
 * lookups (the target is an absolute path next to this file), no shell, no elevation of its own
 * (the manifest says asInvoker; CertificateManager.exe itself requires administrator rights).
 */
#define WIN32_LEAN_AND_MEAN
#define _WIN32_WINNT 0x0A00 /* Windows 10 / Server 2016, the oldest Electron supports */
#define UNICODE
#define _UNICODE
#include <windows.h>

#ifndef ERROR_ELEVATION_REQUIRED /* winerror.h 740; missing from some MinGW headers */
#define ERROR_ELEVATION_REQUIRED 740L
#endif

#define APP_EXE L"CertificateManager.exe"
#define MAX_CMDLINE 32767
/* A console program stopped with Ctrl+C exits with STATUS_CONTROL_C_EXIT. */
#define EXIT_INTERRUPTED 0xC000013AUL
/* Exit code 1 is the CLI's code for "other failure" (core/errors.ts: internal). */
#define EXIT_LAUNCH_FAILED 1

/* How the launcher asks the child to stop (core/platform/stop-requests.ts): a named pipe keyed by
 * the child's process id, on which Node listens. The child is a GUI-subsystem process with no
 * console, so Ctrl+C never reaches it as SIGINT. */
#define STOP_PIPE_PREFIX L"\\\\.\\pipe\\certificatemanager-stop-"
#define STOP_REQUEST "stop\n"
/* How long a stopping serve/agent gets before it is terminated. Windows itself ends a process
 * about 5 s after CTRL_CLOSE_EVENT (the console window closed), so that case gets less. */
#define STOP_GRACE_MS 5000
#define CLOSE_GRACE_MS 3000

static volatile HANDLE g_child = NULL;
static volatile DWORD g_child_pid = 0;
static volatile LONG g_stop_asked = 0;

/* gcc may emit calls to memset/memcpy for struct initialisation even without a C runtime. */
void *memset(void *dst, int c, size_t n) {
  unsigned char *p = (unsigned char *)dst;
  while (n--) *p++ = (unsigned char)c;
  return dst;
}
void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  while (n--) *d++ = *s++;
  return dst;
}

static void write_stderr(const wchar_t *text) {
  HANDLE h = GetStdHandle(STD_ERROR_HANDLE);
  DWORD mode, written;
  int len = lstrlenW(text);
  if (h == NULL || h == INVALID_HANDLE_VALUE || len == 0) return;
  if (GetConsoleMode(h, &mode)) {
    WriteConsoleW(h, text, (DWORD)len, &written, NULL);
  } else {
    /* Redirected to a file or a pipe: write UTF-8. */
    char buf[2048];
    int n = WideCharToMultiByte(CP_UTF8, 0, text, len, buf, (int)sizeof buf, NULL, NULL);
    if (n > 0) WriteFile(h, buf, (DWORD)n, &written, NULL);
  }
}

static void fail(const wchar_t *what, DWORD error) {
  wchar_t sys[512];
  write_stderr(L"certificatemanager: ");
  write_stderr(what);
  if (error != 0 &&
      FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, error, 0, sys,
                     (DWORD)(sizeof sys / sizeof sys[0]), NULL) > 0) {
    write_stderr(L" (");
    /* FormatMessage ends its text with CR LF; cut it. */
    for (int i = lstrlenW(sys) - 1; i >= 0 && (sys[i] == L'\r' || sys[i] == L'\n' || sys[i] == L' '); i--) sys[i] = 0;
    write_stderr(sys);
    write_stderr(L")");
  }
  write_stderr(L"\r\n");
}

/* Opens the child's stop pipe and writes the request; returns the pipe (to be closed after the
 * grace period, so the request is read even if the child is slow) or INVALID_HANDLE_VALUE. */
static HANDLE open_stop_pipe(DWORD pid) {
  wchar_t name[64], digits[16];
  int n = 0;
  do digits[n++] = (wchar_t)(L'0' + pid % 10); while ((pid /= 10) != 0 && n < 15);
  lstrcpyW(name, STOP_PIPE_PREFIX);
  int len = lstrlenW(name);
  while (n > 0) name[len++] = digits[--n];
  name[len] = 0;
  return CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
}

static BOOL send_stop_request(HANDLE pipe) {
  DWORD written = 0;
  return WriteFile(pipe, STOP_REQUEST, sizeof STOP_REQUEST - 1, &written, NULL) && written == sizeof STOP_REQUEST - 1;
}

/* Ctrl+C, Ctrl+Break, closing the console, logoff, shutdown. The first one asks the child to stop
 * (serve and agent then close, print "Stopped." and release their lock) and gives it a few
 * seconds; a second Ctrl+C, a child that does not listen, or one that does not stop in time is
 * terminated. main() then returns the child's exit code. The certificate store is
 * transactional, so even a terminated child leaves the old state or the new one. */
static BOOL WINAPI on_console_event(DWORD event) {
  HANDLE child = g_child;
  if (child == NULL) return TRUE;
  if (InterlockedExchange(&g_stop_asked, 1) == 0) {
    HANDLE pipe = open_stop_pipe(g_child_pid);
    if (pipe != INVALID_HANDLE_VALUE) {
      /* Said before the request is sent: a child that stops at once ends main() at once, and a
       * line written after that could be lost with the process (it was, under Wine on a busy CPU). */
      if (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
        write_stderr(L"certificatemanager: stopping (press Ctrl+C again to end it at once)\r\n");
      if (!send_stop_request(pipe)) {
        CloseHandle(pipe);
        TerminateProcess(child, EXIT_INTERRUPTED);
        return TRUE;
      }
      DWORD grace = (event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT) ? STOP_GRACE_MS : CLOSE_GRACE_MS;
      DWORD waited = WaitForSingleObject(child, grace);
      CloseHandle(pipe);
      if (waited == WAIT_OBJECT_0) return TRUE;
      write_stderr(L"certificatemanager: the command did not stop in time; ending it\r\n");
    }
  }
  TerminateProcess(child, EXIT_INTERRUPTED);
  return TRUE;
}

static BOOL is_file(const wchar_t *path) {
  DWORD attrs = GetFileAttributesW(path);
  return attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

/* Cuts the last path component off (in place); returns FALSE when there is none. */
static BOOL cut_last_component(wchar_t *path) {
  int i = lstrlenW(path);
  while (i > 0 && path[i - 1] != L'\\' && path[i - 1] != L'/') i--;
  if (i <= 1) return FALSE;
  path[i - 1] = 0;
  return TRUE;
}

/* Points past argv[0] and the blanks after it, following the rules the Microsoft C runtime and
 * CommandLineToArgvW use for the program name: a quoted name ends at the next quote, an unquoted
 * one at the first space or tab. Everything after it is passed on untouched. */
static const wchar_t *skip_program_name(const wchar_t *p) {
  if (*p == L'"') {
    p++;
    while (*p && *p != L'"') p++;
    if (*p == L'"') p++;
  } else {
    while (*p && *p != L' ' && *p != L'\t') p++;
  }
  while (*p == L' ' || *p == L'\t') p++;
  return p;
}

/* Finds CertificateManager.exe in this launcher's directory (the .com copy in the install
 * directory) or its parent (the bin\ copy put on the PATH). Never this file itself. */
static BOOL find_app(wchar_t *self, wchar_t *target, DWORD cap) {
  for (int up = 0; up < 2; up++) {
    lstrcpynW(target, self, (int)cap);
    for (int i = 0; i <= up; i++)
      if (!cut_last_component(target)) return FALSE;
    if ((DWORD)(lstrlenW(target) + 1 + lstrlenW(APP_EXE)) >= cap) return FALSE;
    lstrcatW(target, L"\\");
    lstrcatW(target, APP_EXE);
    if (lstrcmpiW(target, self) != 0 && is_file(target)) return TRUE;
  }
  return FALSE;
}

static HANDLE inheritable_copy(DWORD which) {
  HANDLE h = GetStdHandle(which), copy = NULL;
  if (h == NULL || h == INVALID_HANDLE_VALUE) return NULL;
  if (DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &copy, 0, TRUE, DUPLICATE_SAME_ACCESS)) return copy;
  return NULL;
}

static DWORD run(void) {
  HANDLE heap = GetProcessHeap();
  wchar_t *self = (wchar_t *)HeapAlloc(heap, HEAP_ZERO_MEMORY, MAX_CMDLINE * sizeof(wchar_t));
  wchar_t *target = (wchar_t *)HeapAlloc(heap, HEAP_ZERO_MEMORY, MAX_CMDLINE * sizeof(wchar_t));
  wchar_t *cmdline = (wchar_t *)HeapAlloc(heap, HEAP_ZERO_MEMORY, MAX_CMDLINE * sizeof(wchar_t));
  if (self == NULL || target == NULL || cmdline == NULL) {
    fail(L"out of memory", 0);
    return EXIT_LAUNCH_FAILED;
  }

  DWORD n = GetModuleFileNameW(NULL, self, MAX_CMDLINE);
  if (n == 0 || n >= MAX_CMDLINE) {
    fail(L"cannot tell where this program is", GetLastError());
    return EXIT_LAUNCH_FAILED;
  }
  if (!find_app(self, target, MAX_CMDLINE)) {
    fail(L"cannot find " APP_EXE L" next to this program; reinstall CertificateManager", 0);
    return EXIT_LAUNCH_FAILED;
  }

  /* "<target>" -- <arguments exactly as typed>
   *
   * Why the "--": before any JavaScript runs, Electron on Windows refuses (exit code -1, no
   * output) a command line in which any argument follows a URL-like one, i.e. one whose text
   * before its first ':' is longer than one character, starts with a letter and has no blank:
   * "https://host:8443", but also a password such as "Pass:w0rd". Only a literal "--" ends that
   * check (electron/electron shell/app/command_line_args.cc, CheckCommandLineArguments and
   * IsUrlArg, called from wWinMain in shell/app/electron_main_win.cc; CVE-2018-1000006). Chromium
   * puts every switch before the arguments (base/command_line.cc, AppendSwitchNative), so the
   * "--" must come first of all the user's words, and after it Chromium reads none of them as
   * its own switches. electron/main/cli-args.ts userArgsFrom drops it again. */
  const wchar_t *args = skip_program_name(GetCommandLineW());
  if (lstrlenW(target) + lstrlenW(args) + 8 >= MAX_CMDLINE) {
    fail(L"the command line is too long", 0);
    return EXIT_LAUNCH_FAILED;
  }
  lstrcpyW(cmdline, L"\"");
  lstrcatW(cmdline, target);
  lstrcatW(cmdline, L"\"");
  if (*args) {
    lstrcatW(cmdline, L" -- ");
    lstrcatW(cmdline, args);
  }

  /* The child gets this console's standard handles and nothing else: inheritance is limited to
   * exactly these handles with PROC_THREAD_ATTRIBUTE_HANDLE_LIST. */
  HANDLE std[3] = {inheritable_copy(STD_INPUT_HANDLE), inheritable_copy(STD_OUTPUT_HANDLE), inheritable_copy(STD_ERROR_HANDLE)};
  HANDLE list[3];
  DWORD count = 0;
  for (int i = 0; i < 3; i++)
    if (std[i] != NULL) list[count++] = std[i];

  STARTUPINFOEXW si;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = std[0];
  si.StartupInfo.hStdOutput = std[1];
  si.StartupInfo.hStdError = std[2];

  DWORD flags = 0;
  BOOL inherit = FALSE;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
  if (count > 0) {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(NULL, 1, 0, &size);
    attrs = (LPPROC_THREAD_ATTRIBUTE_LIST)HeapAlloc(heap, 0, size);
    if (attrs == NULL || !InitializeProcThreadAttributeList(attrs, 1, 0, &size) ||
        !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, count * sizeof(HANDLE), NULL, NULL)) {
      fail(L"cannot prepare the standard handles", GetLastError());
      return EXIT_LAUNCH_FAILED;
    }
    si.lpAttributeList = attrs;
    flags |= EXTENDED_STARTUPINFO_PRESENT;
    inherit = TRUE;
  }

  SetConsoleCtrlHandler(on_console_event, TRUE);

  /* The app writes UTF-8. Node writes to a console it recognises with WriteConsoleW, but the app
   * is a GUI-subsystem process that only inherited these handles and may not see a TTY; then its
   * bytes are shown in the console's code page (932 on a Japanese server) and Japanese text is
   * garbled. So the console shows UTF-8 while the app runs, and gets its own code page back
   * afterwards. GetConsoleOutputCP returns 0 without a console (output redirected everywhere). */
  UINT console_cp = GetConsoleOutputCP();
  BOOL cp_changed = console_cp != 0 && console_cp != CP_UTF8 && SetConsoleOutputCP(CP_UTF8);

  PROCESS_INFORMATION pi;
  memset(&pi, 0, sizeof pi);
  /* lpApplicationName is the absolute path: no search, no PATH, no current directory. */
  if (!CreateProcessW(target, cmdline, NULL, NULL, inherit, flags, NULL, NULL, &si.StartupInfo, &pi)) {
    DWORD error = GetLastError();
    if (error == ERROR_ELEVATION_REQUIRED) {
      fail(L"this command needs administrator rights. Open the command prompt or PowerShell with "
           L"\"Run as administrator\" and run it again; nothing was changed.",
           0);
    } else {
      fail(L"cannot start " APP_EXE, error);
    }
    if (cp_changed) SetConsoleOutputCP(console_cp);
    return EXIT_LAUNCH_FAILED;
  }
  g_child_pid = pi.dwProcessId;
  g_child = pi.hProcess;
  CloseHandle(pi.hThread);
  for (int i = 0; i < 3; i++)
    if (std[i] != NULL) CloseHandle(std[i]);
  if (attrs != NULL) DeleteProcThreadAttributeList(attrs);

  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD code = EXIT_LAUNCH_FAILED;
  if (!GetExitCodeProcess(pi.hProcess, &code)) code = EXIT_LAUNCH_FAILED;
  if (cp_changed) SetConsoleOutputCP(console_cp);
  return code;
}

/* Entry point (linked with -nostdlib -e launcher_main). */
void __stdcall launcher_main(void) {
  ExitProcess(run());
}
