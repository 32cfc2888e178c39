// Types for after-pack.mjs (electron-builder hook contexts, reduced to what the hooks read).
export interface HookContext {
  appOutDir: string;
  electronPlatformName: string;
  arch: number;
  packager: { appInfo: { productFilename: string }; projectDir: string };
}
export declare function afterExtract(context: Pick<HookContext, 'appOutDir' | 'electronPlatformName'>): Promise<void>;
export declare function afterPack(context: HookContext): Promise<void>;
