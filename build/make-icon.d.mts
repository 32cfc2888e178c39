// Types for make-icon.mjs.
export declare function renderIcon(size: number): Uint8Array;
export declare function encodePng(rgba: Uint8Array, width: number, height: number): Buffer;
export declare function encodeIco(sizes: number[]): Buffer;
export declare const ICO_SIZES: number[];
export declare function writeIcons(outDir: string): { png: number; ico: number };
