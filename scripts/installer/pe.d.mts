// Types for pe.mjs (plain JavaScript so that electron-builder hooks can run it without a build).
export declare class PeFormatError extends Error {}
export declare const Subsystem: Readonly<{
  UNKNOWN: 0; NATIVE: 1; WINDOWS_GUI: 2; WINDOWS_CUI: 3; OS2_CUI: 5; POSIX_CUI: 7; WINDOWS_CE_GUI: 9;
  EFI_APPLICATION: 10; EFI_BOOT_SERVICE_DRIVER: 11; EFI_RUNTIME_DRIVER: 12; EFI_ROM: 13; XBOX: 14;
  WINDOWS_BOOT_APPLICATION: 16;
}>;
export declare const Machine: Readonly<{ I386: 0x014c; AMD64: 0x8664; ARM64: 0xaa64; ARMNT: 0x01c4 }>;
export declare const DataDirectory: Readonly<{ IMPORT: 1; RESOURCE: 2; SECURITY: 4 }>;
export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
}
export interface PeHeaders {
  peOffset: number;
  machine: number;
  characteristics: number;
  isDll: boolean;
  format: 'PE32' | 'PE32+';
  checksumOffset: number;
  checksum: number;
  subsystemOffset: number;
  subsystem: number;
  dllCharacteristics: number;
  sections: PeSection[];
  dataDirectories: { rva: number; size: number }[];
}
export declare function readPeHeaders(data: Uint8Array): PeHeaders;
export declare function readSubsystem(data: Uint8Array): number;
export declare function computePeChecksum(data: Uint8Array): number;
export declare function verifyPeChecksum(data: Uint8Array): { stored: number; computed: number; valid: boolean };
export declare function withUpdatedChecksum(data: Uint8Array): Buffer;
export declare function rvaToOffset(headers: PeHeaders, rva: number): number;
export declare function listImportedDlls(data: Uint8Array): string[];
export declare function sectionsDigest(data: Uint8Array): string;
export declare function hasAuthenticodeSignature(data: Uint8Array): boolean;
