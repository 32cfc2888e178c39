/**
 * A minimal application menu. Edit keeps the clipboard shortcuts working in text fields (on
 * macOS they only work through the menu); there is no reload, no "toggle developer tools" and no
 * zoom in the packaged app. Pure: returns the template, app.ts builds it.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { NATIVE_STRINGS, type NativeLanguage } from './native-strings.js';

interface MenuContext {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  appName: string;
  /** Role items (Undo, Copy, Quit...) are translated by the OS; only our labels need this. */
  language?: NativeLanguage;
}

export function buildMenuTemplate({ platform, isPackaged, appName, language = 'en' }: MenuContext): MenuItemConstructorOptions[] {
  const s = NATIVE_STRINGS[language];
  const template: MenuItemConstructorOptions[] = [];
  if (platform === 'darwin') {
    template.push({
      label: appName,
      submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
    });
  } else {
    template.push({ label: s.fileMenu, submenu: [{ role: 'quit' }] });
  }
  template.push({
    label: platform === 'darwin' ? s.macEditMenu : s.editMenu,
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  });
  if (!isPackaged) {
    template.push({ label: 'Develop', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }] });
  }
  template.push({ role: 'windowMenu' });
  return template;
}
