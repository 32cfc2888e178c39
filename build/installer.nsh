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
;
; LANGUAGES. The installer speaks English and Japanese (electron-builder.config.mjs:
; installerLanguages), and NSIS picks by the Windows display language. Every text this file shows
; (pages, message boxes, the details list) is a LangString with an English (1033) and a Japanese
; (1041) version, defined in the build that uses it: makensis -WX then refuses a string missing
; in either language (test/installer/nsis.test.ts). LCIDs are numbers because electron-builder
; includes this file before it loads the languages (its own messages.yml does the same).

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
; Texts of the PATH helpers (both builds remove the PATH entry).
LangString cmPathTooLongRemoveDetail 1033 "The machine PATH is too long to edit safely; remove $0 from it by hand."
LangString cmPathTooLongRemoveDetail 1041 "システムの PATH が長すぎるため、安全に編集できません。$0 を手動で削除してください。"
LangString cmPathTooLongRemove 1033 "The system PATH is too long for the installer to edit safely, so it was left unchanged.$\r$\n$\r$\nRemove this entry from it by hand (System Properties > Environment Variables):$\r$\n$0"
LangString cmPathTooLongRemove 1041 "システムの PATH が長すぎてインストーラーでは安全に編集できないため、変更していません。$\r$\n$\r$\n次の項目を手動で削除してください ([システムのプロパティ] > [環境変数]):$\r$\n$0"
LangString cmPathRemovedDetail 1033 "Removed $0 from the machine PATH."
LangString cmPathRemovedDetail 1041 "システムの PATH から $0 を削除しました。"

; ---------------------------------------------------------------------------------------------
; Finish pages: say what happens to the certificate store.
!ifndef BUILD_UNINSTALLER
  LangString cmFinishTitle 1033 "CertificateManager is installed"
  LangString cmFinishTitle 1041 "CertificateManager のインストールが完了しました"
  LangString cmFinishText 1033 "Your certificate store is in ${CM_DATA_DIR_TEXT}. Uninstalling, reinstalling or upgrading CertificateManager never changes or deletes it, and an upgrade keeps your settings: every agent that trusts your certificate keeps working.$\r$\n$\r$\nTake a backup now and keep it offline:$\r$\n    certificatemanager -b <backup password> <file.zip>$\r$\nin a command prompt opened with $\"Run as administrator$\".$\r$\n$\r$\nStart CertificateManager from the Start menu."
  LangString cmFinishText 1041 "証明書ストアは ${CM_DATA_DIR_TEXT} にあります。CertificateManager をアンインストール、再インストール、またはアップグレードしても、証明書ストアが変更または削除されることはありません。アップグレードしても設定は引き継がれ、この証明書を信頼しているエージェントはすべてそのまま動作します。$\r$\n$\r$\n今すぐバックアップを作成し、オフラインで保管してください。[管理者として実行] で開いたコマンド プロンプトで次を実行します:$\r$\n    certificatemanager -b <バックアップ用のパスワード> <ファイル.zip>$\r$\n$\r$\nCertificateManager は [スタート] メニューから起動できます。"
  !define MUI_FINISHPAGE_TITLE "$(cmFinishTitle)"
  !define MUI_FINISHPAGE_TEXT "$(cmFinishText)"
  !define MUI_FINISHPAGE_TEXT_LARGE
!else
  LangString cmUnFinishTitle 1033 "CertificateManager is uninstalled"
  LangString cmUnFinishTitle 1041 "CertificateManager のアンインストールが完了しました"
  LangString cmUnFinishText 1033 "The program files were removed. Your certificate store in ${CM_DATA_DIR_TEXT} was kept, untouched: the agents that trust your certificate keep working, and installing CertificateManager again picks the store up as it is.$\r$\n$\r$\nIf you really retire this server, move the store (or your latest backup zip) somewhere safe before you delete that folder by hand."
  LangString cmUnFinishText 1041 "プログラム ファイルを削除しました。${CM_DATA_DIR_TEXT} の証明書ストアは変更せずにそのまま残しています。この証明書を信頼しているエージェントは引き続き動作し、CertificateManager を再インストールすると、この証明書ストアがそのまま使用されます。$\r$\n$\r$\nこのサーバーを廃止する場合は、フォルダーを手動で削除する前に、証明書ストア (または最新のバックアップ zip) を安全な場所に移してください。"
  !define MUI_FINISHPAGE_TITLE "$(cmUnFinishTitle)"
  !define MUI_FINISHPAGE_TEXT "$(cmUnFinishText)"
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
      DetailPrint "$(cmPathTooLongRemoveDetail)"
      ${IfNot} ${Silent}
        MessageBox MB_ICONEXCLAMATION|MB_OK "$(cmPathTooLongRemove)"
      ${EndIf}
    ${ElseIf} $cmPathFound == "1"
      WriteRegExpandStr HKLM "${CM_ENV_KEY}" "Path" $cmPathNew
      SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
      DetailPrint "$(cmPathRemovedDetail)"
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

  LangString cmPathTooLongAddDetail 1033 "The machine PATH is too long to edit safely; add $0 to it by hand."
  LangString cmPathTooLongAddDetail 1041 "システムの PATH が長すぎるため、安全に編集できません。$0 を手動で追加してください。"
  LangString cmPathTooLongAdd 1033 "The system PATH is too long for the installer to edit safely, so it was left unchanged.$\r$\n$\r$\nTo type certificatemanager in any console, add this folder to it by hand (System Properties > Environment Variables):$\r$\n$0"
  LangString cmPathTooLongAdd 1041 "システムの PATH が長すぎてインストーラーでは安全に編集できないため、変更していません。$\r$\n$\r$\nどのコンソールからでも certificatemanager を実行できるようにするには、次のフォルダーを手動で追加してください ([システムのプロパティ] > [環境変数]):$\r$\n$0"
  LangString cmPathAddedDetail 1033 "Added $0 to the machine PATH."
  LangString cmPathAddedDetail 1041 "システムの PATH に $0 を追加しました。"
  LangString cmCommandLineTitle 1033 "Command line"
  LangString cmCommandLineTitle 1041 "コマンド ライン"
  LangString cmCommandLineSubtitle 1033 "Run certificatemanager from cmd.exe and PowerShell"
  LangString cmCommandLineSubtitle 1041 "cmd.exe や PowerShell から certificatemanager を実行します"
  LangString cmCommandLineIntro 1033 "CertificateManager includes a console command for scripts and runbooks, for example$\r$\n    certificatemanager -b <backup password> <file.zip>$\r$\nIt prints its output in the console, waits until it is done and returns an exit code. Run it in a console opened with $\"Run as administrator$\"."
  LangString cmCommandLineIntro 1041 "CertificateManager には、スクリプトや運用手順書で使用できるコンソール コマンドが含まれています。例:$\r$\n    certificatemanager -b <バックアップ用のパスワード> <ファイル.zip>$\r$\n結果をコンソールに表示し、処理の完了を待って終了コードを返します。[管理者として実行] で開いたコンソールで実行してください。"
  LangString cmAddToPathOption 1033 "&Add the command to the system PATH (all users)"
  LangString cmAddToPathOption 1041 "コマンドをシステムの PATH に追加する (すべてのユーザー)(&A)"
  LangString cmAddToPathHint 1033 "Adds $INSTDIR\bin, which holds only the console command. Without it, run $\"$INSTDIR\bin\certificatemanager.exe$\" by its full path."
  LangString cmAddToPathHint 1041 "コンソール コマンドだけを含む $INSTDIR\bin を追加します。追加しない場合は $\"$INSTDIR\bin\certificatemanager.exe$\" をフル パスで実行してください。"
  LangString cmDataDirNote 1033 "Your certificate store in ${CM_DATA_DIR_TEXT} is never changed or deleted by installing, upgrading or uninstalling CertificateManager."
  LangString cmDataDirNote 1041 "${CM_DATA_DIR_TEXT} の証明書ストアは、CertificateManager のインストール、アップグレード、アンインストールによって変更または削除されることはありません。"
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
      DetailPrint "$(cmPathTooLongAddDetail)"
      ${IfNot} ${Silent}
        MessageBox MB_ICONEXCLAMATION|MB_OK "$(cmPathTooLongAdd)"
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
      DetailPrint "$(cmPathAddedDetail)"
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
      !insertmacro MUI_HEADER_TEXT "$(cmCommandLineTitle)" "$(cmCommandLineSubtitle)"
      nsDialogs::Create 1018
      Pop $0
      ${If} $0 == error
        Abort
      ${EndIf}
      ${NSD_CreateLabel} 0 0 100% 40u "$(cmCommandLineIntro)"
      Pop $0
      ${NSD_CreateCheckbox} 0 48u 100% 12u "$(cmAddToPathOption)"
      Pop $cmAddToPathBox
      ${If} $cmAddToPath == "1"
        ${NSD_Check} $cmAddToPathBox
      ${EndIf}
      ${NSD_CreateLabel} 12u 62u -12u 20u "$(cmAddToPathHint)"
      Pop $0
      ${NSD_CreateLabel} 0 90u 100% 40u "$(cmDataDirNote)"
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
