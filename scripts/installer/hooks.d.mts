// Types for hooks.mjs (electron-builder hook contexts, reduced to what the hooks read).
export interface HookContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; projectDir: string };
}
export declare function afterExtract(context: Pick<HookContext, 'appOutDir' | 'electronPlatformName'>): Promise<void>;
export declare function afterPack(context: HookContext): Promise<void>;
export declare function launcherDirFor(projectDir: string, env?: Record<string, string | undefined>): string;
export declare function problemsBeforePack(projectDir: string, env?: Record<string, string | undefined>): string[];
export declare function beforePack(context: Pick<HookContext, 'electronPlatformName' | 'arch' | 'packager'>, env?: Record<string, string | undefined>): Promise<void>;
