; CertificateManager: additions to electron-builder's assisted NSIS installer (docs/installer.md).
;
; electron-builder includes this file at the top of its installer script twice: once to build
; the uninstaller (BUILD_UNINSTALLER defined) and once to build the installer. It then calls the
; macros below at fixed points (customInit, customWelcomePage, customPageAfterChangeDir,
; customInstall, customUnInstall). makensis runs with warnings as errors, so every function and
; variable here is defined only in the build that uses it.
;
; THE DATA-DIRECTORY RULE. The certificate store lives in %ProgramData%\CertificateManager, outside
; the installation directory. Nothing in this file, and nothing electron-builder does, deletes or
; changes it: not on uninstall, not on reinstall, not on upgrade (an upgrade runs the old
; uninstaller with --updated, then installs the new files). Deleting the store would strand every
; agent that trusts its key. Do not add Delete/RMDir lines that can reach it;
; test/installer/nsis.test.ts checks this file for that.
;
; THE PATH OPTION. The console launcher lives in $INSTDIR\bin (only the launcher is there, so the
; machine PATH does not expose Electron's DLLs). The installer page offers to add that directory
; to the machine PATH; silent installs take /ADDTOPATH=1 or /ADDTOPATH=0; an upgrade keeps the
; previous choice. The uninstaller removes exactly that entry, and nothing else, from the PATH.

!include LogicLib.nsh
!include FileFunc.nsh
!include WinMessages.nsh

!define CM_ENV_KEY "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
!define CM_PATH_DIR "$INSTDIR\bin"
!define CM_DATA_DIR_TEXT "%ProgramData%\CertificateManager"
; NSIS strings hold at most NSIS_MAX_STRLEN - 1 characters (1023 in the default NSIS build, 8191
; in the large-strings build): ReadRegStr fails on a longer value and StrCpy truncates. A PATH
; that cannot be read whole, or that would grow past the limit, is never written back (the admin
; is told to edit it by hand): writing a cut PATH would break the machine.
!define /math CM_PATH_LIMIT ${NSIS_MAX_STRLEN} - 2

; ---------------------------------------------------------------------------------------------
; Finish pages: say what happens to the certificate store.
!ifndef BUILD_UNINSTALLER
  !define MUI_FINISHPAGE_TITLE "CertificateManager is installed"
  !define MUI_FINISHPAGE_TEXT "Your certificate store is in ${CM_DATA_DIR_TEXT}. Uninstalling, reinstalling or upgrading CertificateManager never changes or deletes it, and an upgrade keeps your settings: every agent that trusts your certificate keeps working.$\r$\n$\r$\nTake a backup now and keep it offline:$\r$\n    certificatemanager -b <backup password> <file.zip>$\r$\nin a command prompt opened with $\"Run as administrator$\".$\r$\n$\r$\nStart CertificateManager from the Start menu."
  !define MUI_FINISHPAGE_TEXT_LARGE
!else
  !define MUI_FINISHPAGE_TITLE "CertificateManager is uninstalled"
  !define MUI_FINISHPAGE_TEXT "The program files were removed. Your certificate store in ${CM_DATA_DIR_TEXT} was kept, untouched: the agents that trust your certificate keep working, and installing CertificateManager again picks the store up as it is.$\r$\n$\r$\nIf you really retire this server, move the store (or your latest backup zip) somewhere safe before you delete that folder by hand."
  !define MUI_FINISHPAGE_TEXT_LARGE
!endif

; ---------------------------------------------------------------------------------------------
; PATH helpers. cmPathWithout computes the machine PATH without one directory: every other entry
; stays exactly as it was, in order (REG_EXPAND_SZ references such as %SystemRoot% stay
; unexpanded). Stack in: the directory. Out: the three variables below.
Var cmPathStatus ; "ok", or "toolong" when the PATH cannot be read whole (or at all)
Var cmPathNew    ; the PATH without the directory
Var cmPathFound  ; "1" when the directory was in the PATH

!macro CM_PATH_WITHOUT UN
  Function ${UN}cmPathWithout
    Exch $0 ; directory to drop
    Push $1 ; current PATH
    Push $2 ; index
    Push $3 ; current entry
    Push $4 ; current character
    Push $5 ; "1" once the result has an entry

    StrCpy $cmPathNew ""
    StrCpy $cmPathFound "0"
    ; A value longer than NSIS_MAX_STRLEN does not come back truncated: ReadRegStr fails and
    ; returns "". Treating that as an empty PATH would replace the machine PATH with one entry,
    ; so any read error means "leave the PATH alone".
    ClearErrors
    ReadRegStr $1 HKLM "${CM_ENV_KEY}" "Path"
    ${If} ${Errors}
      StrCpy $cmPathStatus "toolong"
      Goto done
    ${EndIf}
    StrLen $2 $1
    ${If} $2 >= ${CM_PATH_LIMIT}
      StrCpy $cmPathStatus "toolong"
      Goto done
    ${EndIf}

    StrCpy $2 0
    StrCpy $3 ""
    StrCpy $5 "0"
    loop:
      StrCpy $4 $1 1 $2
      StrCmp $4 "" entry_end
      StrCmp $4 ";" entry_end
      StrCpy $3 "$3$4"
      IntOp $2 $2 + 1
      Goto loop
    entry_end:
      ; StrCmp is case-insensitive, as Windows paths are.
      StrCmp $3 $0 drop
      StrCmp $3 "$0\" drop
      ${If} $5 == "1"
        StrCpy $cmPathNew "$cmPathNew;$3"
      ${Else}
        StrCpy $cmPathNew "$3"
        StrCpy $5 "1"
      ${EndIf}
      Goto next
    drop:
      StrCpy $cmPathFound "1"
    next:
      StrCmp $4 "" finished
      StrCpy $3 ""
      IntOp $2 $2 + 1
      Goto loop
    finished:
    StrCpy $cmPathStatus "ok"

    done:
    Pop $5
    Pop $4
    Pop $3
    Pop $2
    Pop $1
    Pop $0
  FunctionEnd

  ; Removes the directory from the machine PATH if it is there. Stack in: the directory.
  Function ${UN}cmPathRemove
    Exch $0
    Push $0
    Call ${UN}cmPathWithout
    ${If} $cmPathStatus == "toolong"
      DetailPrint "The machine PATH is too long to edit safely; remove $0 from it by hand."
      ${IfNot} ${Silent}
        MessageBox MB_ICONEXCLAMATION|MB_OK "The system PATH is too long for the installer to edit safely, so it was left unchanged.$\r$\n$\r$\nRemove this entry from it by hand (System Properties > Environment Variables):$\r$\n$0"
      ${EndIf}
    ${ElseIf} $cmPathFound == "1"
      WriteRegExpandStr HKLM "${CM_ENV_KEY}" "Path" $cmPathNew
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
      DetailPrint "Removed $0 from the machine PATH."
    ${EndIf}
    Pop $0
  FunctionEnd
!macroend

!ifdef BUILD_UNINSTALLER
  !insertmacro CM_PATH_WITHOUT "un."

  !macro customUnInstall
    ; An upgrade runs this uninstaller with --updated; the new installer then decides about the
    ; PATH itself, so the entry is only removed on a real uninstall.
    ${IfNot} ${isUpdated}
      Push "${CM_PATH_DIR}"
      Call un.cmPathRemove
    ${EndIf}
    ; The certificate store in %ProgramData%\CertificateManager is deliberately left alone.
  !macroend
!else
  !include nsDialogs.nsh
  !insertmacro CM_PATH_WITHOUT ""

  ; Adds the directory at the end of the machine PATH unless it is already there.
  ; Stack in: the directory.
  Function cmPathAdd
    Exch $0
    Push $1
    Push $0
    Call cmPathWithout
    StrLen $1 "$cmPathNew;$0"
    ${If} $cmPathStatus == "toolong"
    ${OrIf} $1 >= ${CM_PATH_LIMIT}
      DetailPrint "The machine PATH is too long to edit safely; add $0 to it by hand."
      ${IfNot} ${Silent}
        MessageBox MB_ICONEXCLAMATION|MB_OK "The system PATH is too long for the installer to edit safely, so it was left unchanged.$\r$\n$\r$\nTo type certificatemanager in any console, add this folder to it by hand (System Properties > Environment Variables):$\r$\n$0"
      ${EndIf}
    ${ElseIf} $cmPathFound == "0"
      ${If} $cmPathNew == ""
        StrCpy $cmPathNew "$0"
      ${Else}
        StrCpy $1 $cmPathNew 1 -1
        ${If} $1 == ";"
          StrCpy $cmPathNew "$cmPathNew$0"
        ${Else}
          StrCpy $cmPathNew "$cmPathNew;$0"
        ${EndIf}
      ${EndIf}
      WriteRegExpandStr HKLM "${CM_ENV_KEY}" "Path" $cmPathNew
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
      DetailPrint "Added $0 to the machine PATH."
    ${EndIf}
    Pop $1
    Pop $0
  FunctionEnd

  Var cmAddToPath    ; "1" or "0"
  Var cmAddToPathBox ; the checkbox on the page

  !macro customInit
    ; Default: on for a new installation, the previous choice on an upgrade or reinstall,
    ; /ADDTOPATH=0|1 on the command line wins (for silent installs).
    StrCpy $cmAddToPath "1"
    ClearErrors
    ReadRegStr $0 HKLM "${INSTALL_REGISTRY_KEY}" "AddToPath"
    ${IfNot} ${Errors}
    ${AndIf} $0 == "0"
      StrCpy $cmAddToPath "0"
    ${EndIf}
    ${GetParameters} $0
    ClearErrors
    ${GetOptions} $0 "/ADDTOPATH=" $1
    ${IfNot} ${Errors}
      ${If} $1 == "0"
        StrCpy $cmAddToPath "0"
      ${ElseIf} $1 == "1"
        StrCpy $cmAddToPath "1"
      ${EndIf}
    ${EndIf}
  !macroend

  ; electron-builder's assisted installer has no welcome page of its own.
  !macro customWelcomePage
    !insertmacro MUI_PAGE_WELCOME
  !macroend

  !macro customPageAfterChangeDir
    Page custom cmCommandLinePageCreate cmCommandLinePageLeave

    Function cmCommandLinePageCreate
      !insertmacro MUI_HEADER_TEXT "Command line" "Run certificatemanager from cmd.exe and PowerShell"
      nsDialogs::Create 1018
      Pop $0
      ${If} $0 == error
        Abort
      ${EndIf}
      ${NSD_CreateLabel} 0 0 100% 40u "CertificateManager includes a console command for scripts and runbooks, for example$\r$\n    certificatemanager -b <backup password> <file.zip>$\r$\nIt prints its output in the console, waits until it is done and returns an exit code. Run it in a console opened with $\"Run as administrator$\"."
      Pop $0
      ${NSD_CreateCheckbox} 0 48u 100% 12u "&Add the command to the system PATH (all users)"
      Pop $cmAddToPathBox
      ${If} $cmAddToPath == "1"
        ${NSD_Check} $cmAddToPathBox
      ${EndIf}
      ${NSD_CreateLabel} 12u 62u -12u 20u "Adds $INSTDIR\bin, which holds only the console command. Without it, run $\"$INSTDIR\bin\certificatemanager.exe$\" by its full path."
      Pop $0
      ${NSD_CreateLabel} 0 90u 100% 40u "Your certificate store in ${CM_DATA_DIR_TEXT} is never changed or deleted by installing, upgrading or uninstalling CertificateManager."
      Pop $0
      nsDialogs::Show
    FunctionEnd

    Function cmCommandLinePageLeave
      ${NSD_GetState} $cmAddToPathBox $0
      ${If} $0 == ${BST_CHECKED}
        StrCpy $cmAddToPath "1"
      ${Else}
        StrCpy $cmAddToPath "0"
      ${EndIf}
    FunctionEnd
  !macroend

  !macro customInstall
    ; Runs after the files are in place (and after an older version's uninstaller ran with
    ; --updated, which leaves the PATH and the certificate store alone).
    WriteRegStr HKLM "${INSTALL_REGISTRY_KEY}" "AddToPath" "$cmAddToPath"
    ${If} $cmAddToPath == "1"
      Push "${CM_PATH_DIR}"
      Call cmPathAdd
    ${Else}
      Push "${CM_PATH_DIR}"
      Call cmPathRemove
    ${EndIf}
  !macroend
!endif
