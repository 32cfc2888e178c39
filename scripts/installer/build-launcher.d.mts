// Types for build-launcher.mjs.
export declare const LAUNCHER_SOURCE_DIR: string;
export declare const DEFAULT_LAUNCHER_DIR: string;
export declare const DEFAULT_LAUNCHER_SUBDIR: string;
export declare const LAUNCHER_FILE: string;
export declare const ALLOWED_LAUNCHER_IMPORTS: string[];
export declare function resolveToolchain(): { cc: string; windres: string } | null;
export declare function toolchainAvailable(): boolean;
export declare function windowsVersion(version: string): [number, number, number, number];
export declare function checkLauncherImage(image: Uint8Array): string[];
export declare function buildLauncher(options?: { outDir?: string; version?: string; productName?: string; iconPath?: string | null }): string;
